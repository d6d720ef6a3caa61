// Properties panel entries for what Đôn đốc reads from a diagram: the form of a user task
// (spiffworkflow property "form"), the role a lane names, and timer expressions.
import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';

const LOW_PRIORITY = 500; // after the stock BPMN provider, so its groups can be adjusted
const TIMER_TYPES = ['timeDate', 'timeDuration', 'timeCycle'];
const TIMER_EVENTS = ['bpmn:StartEvent', 'bpmn:IntermediateCatchEvent', 'bpmn:BoundaryEvent'];

export function getExtension(businessObject, type) {
  const extensionElements = businessObject.get('extensionElements');
  return extensionElements ? extensionElements.get('values').find((value) => is(value, type)) : undefined;
}

export function getProperty(businessObject, name) {
  const properties = getExtension(businessObject, 'spiffworkflow:Properties');
  return properties ? properties.get('properties').find((property) => property.get('name') === name) : undefined;
}

function getTimerDefinition(element) {
  const businessObject = getBusinessObject(element);
  if (!isAny(businessObject, TIMER_EVENTS)) {
    return undefined;
  }
  return (businessObject.get('eventDefinitions') || []).find((definition) => is(definition, 'bpmn:TimerEventDefinition'));
}

function timerType(definition) {
  return TIMER_TYPES.find((type) => definition.get(type) !== undefined) || '';
}

// Commands (one undo step) that set spiffworkflow property `name` to `value`, creating the
// extensionElements / spiffworkflow:properties containers when missing; '' removes it.
function setPropertyCommands(element, name, value, bpmnFactory) {
  const businessObject = getBusinessObject(element);
  const commands = [];
  let extensionElements = businessObject.get('extensionElements');
  let properties = getExtension(businessObject, 'spiffworkflow:Properties');
  const property = getProperty(businessObject, name);
  if (!value) {
    if (property) {
      commands.push({
        cmd: 'element.updateModdleProperties',
        context: {
          element,
          moddleElement: properties,
          properties: { properties: properties.get('properties').filter((p) => p !== property) },
        },
      });
    }
    return commands;
  }
  if (property) {
    commands.push({
      cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: property, properties: { value } },
    });
    return commands;
  }
  if (!extensionElements) {
    extensionElements = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
    extensionElements.$parent = businessObject;
    commands.push({
      cmd: 'element.updateModdleProperties',
      context: { element, moddleElement: businessObject, properties: { extensionElements } },
    });
  }
  if (!properties) {
    properties = bpmnFactory.create('spiffworkflow:Properties', { properties: [] });
    properties.$parent = extensionElements;
    commands.push({
      cmd: 'element.updateModdleProperties',
      context: {
        element,
        moddleElement: extensionElements,
        properties: { values: [...extensionElements.get('values'), properties] },
      },
    });
  }
  const created = bpmnFactory.create('spiffworkflow:Property', { name, value });
  created.$parent = properties;
  commands.push({
    cmd: 'element.updateModdleProperties',
    context: {
      element,
      moddleElement: properties,
      properties: { properties: [...properties.get('properties'), created] },
    },
  });
  return commands;
}

function withCurrent(options, current, label) {
  if (current && !options.some((option) => option.value === current)) {
    options.push({ value: current, label: label || current });
  }
  return options;
}

function FormEntry(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const settings = useService('config.dondoc') || {};
  const i18n = settings.i18n || {};
  const getValue = () => {
    const property = getProperty(getBusinessObject(element), 'form');
    return (property && property.get('value')) || '';
  };
  const setValue = (value) => {
    const commands = setPropertyCommands(element, 'form', value, bpmnFactory);
    if (commands.length) {
      commandStack.execute('properties-panel.multi-command-executor', commands);
    }
  };
  const getOptions = () => {
    const options = [{ value: '', label: i18n.noForm || '(none)' }];
    for (const form of settings.forms || []) {
      options.push({ value: form.key, label: form.title ? `${form.title} (${form.key})` : form.key });
    }
    return withCurrent(options, getValue());
  };
  return SelectEntry({ element, id, label: i18n.form || 'Form', getValue, setValue, getOptions });
}

function RoleEntry(props) {
  const { element, id } = props;
  const modeling = useService('modeling');
  const settings = useService('config.dondoc') || {};
  const i18n = settings.i18n || {};
  const getValue = () => getBusinessObject(element).get('name') || '';
  const setValue = (value) => modeling.updateProperties(element, { name: value || undefined });
  const getOptions = () => {
    const options = [{ value: '', label: i18n.noForm || '(none)' }];
    const names = settings.lanes || {};
    for (const role of settings.roles || []) {
      options.push({ value: role, label: names[role] ? `${names[role]} (${role})` : role });
    }
    return withCurrent(options, getValue());
  };
  return SelectEntry({ element, id, label: i18n.role || 'Role', getValue, setValue, getOptions });
}

function TimerTypeEntry(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const bpmnFactory = useService('bpmnFactory');
  const settings = useService('config.dondoc') || {};
  const i18n = settings.i18n || {};
  const definition = getTimerDefinition(element);
  const getValue = () => timerType(definition);
  const setValue = (value) => {
    const current = timerType(definition);
    if (!value || value === current) {
      return;
    }
    const previous = current ? definition.get(current) : undefined;
    const expression = bpmnFactory.create('bpmn:FormalExpression', {
      body: previous ? previous.get('body') : undefined,
    });
    expression.$parent = definition;
    const properties = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
    properties[value] = expression;
    commandStack.execute('element.updateModdleProperties', { element, moddleElement: definition, properties });
  };
  const getOptions = () => {
    const names = i18n.timerTypes || {};
    const options = TIMER_TYPES.map((type) => ({ value: type, label: names[type] || type }));
    if (!getValue()) {
      options.unshift({ value: '', label: i18n.noForm || '(none)' });
    }
    return options;
  };
  return SelectEntry({ element, id, label: i18n.timerType || 'Type', getValue, setValue, getOptions });
}

function TimerExpressionEntry(props) {
  const { element, id } = props;
  const commandStack = useService('commandStack');
  const debounce = useService('debounceInput');
  const settings = useService('config.dondoc') || {};
  const i18n = settings.i18n || {};
  const definition = getTimerDefinition(element);
  const type = timerType(definition);
  const getValue = () => {
    const expression = type && definition.get(type);
    return (expression && expression.get('body')) || '';
  };
  const setValue = (value) => {
    const expression = definition.get(type);
    commandStack.execute('element.updateModdleProperties', {
      element,
      moddleElement: expression,
      properties: { body: value },
    });
  };
  return TextFieldEntry({
    element,
    id,
    label: i18n.expression || 'Expression',
    description: i18n.expressionHint,
    getValue,
    setValue,
    debounce,
  });
}

function timerEntries(element) {
  const definition = getTimerDefinition(element);
  if (!definition) {
    return [];
  }
  const entries = [{ id: 'timerEventDefinitionType', component: TimerTypeEntry, isEdited: isSelectEntryEdited }];
  if (timerType(definition)) {
    entries.push({ id: 'timerEventDefinitionValue', component: TimerExpressionEntry, isEdited: isTextFieldEntryEdited });
  }
  return entries;
}

class DondocPropertiesProvider {
  constructor(propertiesPanel, config) {
    this._i18n = (config && config.i18n) || {};
    propertiesPanel.registerProvider(LOW_PRIORITY, this);
  }

  getGroups(element) {
    return (groups) => {
      const i18n = this._i18n;
      // The stock BPMN provider already has a "Timer" group (type select + value field): reuse its
      // place and ids, with our labels and no ISO 8601 help (our timer text is a Python expression).
      const timer = groups.find((group) => group.id === 'timer');
      if (timer) {
        timer.label = i18n.timer || timer.label;
        timer.entries = timerEntries(element);
      }
      const entries = [];
      if (is(element, 'bpmn:UserTask')) {
        entries.push({ id: 'dondoc-form', component: FormEntry, isEdited: isSelectEntryEdited });
      }
      if (is(element, 'bpmn:Lane')) {
        entries.push({ id: 'dondoc-role', component: RoleEntry, isEdited: isSelectEntryEdited });
      }
      if (entries.length) {
        const group = { id: 'dondoc', label: i18n.group || 'Đôn đốc', entries };
        const general = groups.findIndex((candidate) => candidate.id === 'general');
        groups.splice(general + 1, 0, group);
      }
      return groups;
    };
  }
}

DondocPropertiesProvider.$inject = ['propertiesPanel', 'config.dondoc'];

export default {
  __init__: ['dondocPropertiesProvider'],
  dondocPropertiesProvider: ['type', DondocPropertiesProvider],
};
