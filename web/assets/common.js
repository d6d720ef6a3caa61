// Shared by the modeler and the viewer.

export function readJson(text, fallback) {
  if (!text) {
    return fallback;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    return fallback;
  }
}

// SpiffWorkflow's loopDataInputRef / loopDataOutputRef name task-data variables, not diagram
// elements: bpmn-moddle reports them as unresolved references and drops them, so saveXML would
// lose them. Put back a stand-in carrying the name; a reference is written as the target's id.
const VARIABLE_REFERENCES = ['bpmn:loopDataInputRef', 'bpmn:loopDataOutputRef'];

export function keepVariableReferences(moddle, warnings) {
  for (const warning of warnings || []) {
    const { element, property, value } = warning;
    if (element && value && VARIABLE_REFERENCES.includes(property) && !element.get(property)) {
      element.set(property, moddle.create('bpmn:ItemAwareElement', { id: value }));
    }
  }
}
