// Diagram editor of a process model: loads the XML, edits it with bpmn-js and its properties
// panel (+ Đôn đốc's entries), saves it as a new version and shows the server's problems.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import spiffworkflow from './spiffworkflow.json';
import DondocPropertiesProviderModule from './provider.js';
import NestedLaneRefsModule from './lanes.js';
import LaneLabelsModule from './labels.js';
import { translateModule } from './translate.js';
import { isAny } from 'bpmn-js/lib/util/ModelUtil';
import { isExpanded } from 'bpmn-js/lib/util/DiUtil';
import { keepVariableReferences, readJson } from './common.js';

function start() {
  const root = document.getElementById('modeler');
  if (!root) {
    return;
  }
  const settings = {
    forms: readJson(root.dataset.forms, []),
    roles: readJson(root.dataset.roles, []),
    lanes: readJson(root.dataset.lanes, {}),
    i18n: readJson(root.dataset.i18n, {}),
  };
  const i18n = settings.i18n;
  const saveButton = document.getElementById('model-save');
  const commentInput = document.getElementById('model-comment');
  const problemList = document.getElementById('model-problems');
  const statusBox = document.getElementById('model-status');
  const tokenMeta = document.querySelector('meta[name="csrf-token"]');

  const modeler = new BpmnModeler({
    container: root.querySelector('#canvas'),
    propertiesPanel: {
      parent: root.querySelector('#properties'),
      layout: { groups: { general: { open: true }, dondoc: { open: true }, timer: { open: true } } },
    },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      DondocPropertiesProviderModule,
      NestedLaneRefsModule,
      LaneLabelsModule,
      translateModule(root.dataset.locale || 'vi'),
    ],
    moddleExtensions: { spiffworkflow },
    dondoc: settings,
    dondocLabels: { lanes: readJson(root.dataset.lanes, {}) },
  });
  const canvas = modeler.get('canvas');
  const commandStack = modeler.get('commandStack');
  const elementRegistry = modeler.get('elementRegistry');
  const overlays = modeler.get('overlays');
  const selection = modeler.get('selection');
  const eventBus = modeler.get('eventBus');

  let loaded = false;
  let leaving = false;
  let saving = false;
  let marked = []; // element ids carrying the dd-invalid marker

  const setStatus = (text) => {
    if (statusBox) {
      statusBox.textContent = text || '';
    }
  };
  const isDirty = () => loaded && commandStack.canUndo();
  const setSaveEnabled = () => {
    if (saveButton) {
      saveButton.disabled = !loaded || saving || leaving;
    }
  };

  // Participants, lanes and expanded subprocesses: outlined only, the badge inside their corner.
  const isArea = (shape) => isAny(shape, ['bpmn:Participant', 'bpmn:Lane']) || (isAny(shape, ['bpmn:SubProcess']) && isExpanded(shape));

  const clearMarker = (id) => {
    if (elementRegistry.get(id)) {
      canvas.removeMarker(id, 'dd-invalid');
      canvas.removeMarker(id, 'dd-invalid-area');
      overlays.remove({ element: id, type: 'dd-problem' });
    }
  };
  const clearProblems = () => {
    marked.forEach(clearMarker);
    marked = [];
    if (problemList) {
      problemList.replaceChildren();
    }
  };

  // A problem names a flow element, a lane... or the process, drawn as its participant.
  const findShape = (id) => {
    if (!id) {
      return null;
    }
    const direct = elementRegistry.get(id);
    if (direct) {
      return direct;
    }
    return (
      elementRegistry.find((element) => {
        const processRef = element.businessObject && element.businessObject.processRef;
        return processRef && processRef.id === id;
      }) || null
    );
  };

  const showProblems = (problems) => {
    clearProblems();
    for (const problem of problems) {
      const message = String((problem && problem.message) || '');
      const shape = findShape(problem && problem.element);
      const item = document.createElement('li');
      if (shape) {
        const area = isArea(shape);
        if (!marked.includes(shape.id)) {
          canvas.addMarker(shape.id, 'dd-invalid');
          area && canvas.addMarker(shape.id, 'dd-invalid-area');
          marked.push(shape.id);
        }
        const badge = document.createElement('div');
        badge.className = area ? 'dd-problem dd-problem-inside' : 'dd-problem';
        badge.textContent = message;
        badge.title = message;
        const position = area ? { top: 4, left: 36 } : { top: -6, left: -6 };
        overlays.add(shape.id, 'dd-problem', { position, scale: { min: 1 }, html: badge });
        const name = shape.businessObject && shape.businessObject.name;
        const link = document.createElement('button');
        link.type = 'button';
        link.className = 'dd-problem-link';
        link.dataset.element = shape.id;
        link.textContent = name ? `${name} (${shape.id})` : shape.id;
        link.addEventListener('click', () => {
          const current = elementRegistry.get(shape.id);
          if (current) {
            selection.select(current);
            canvas.scrollToElement(current);
          }
        });
        item.append(link, document.createTextNode(`: ${message}`));
        item.classList.add('dd-problem-item');
        item.addEventListener('click', (event) => {
          if (event.target !== link) {
            link.click();
          }
        });
      } else {
        item.textContent = problem && problem.element ? `${problem.element}: ${message}` : message;
      }
      problemList && problemList.append(item);
    }
  };

  // An element that changes after a failed save loses its problem mark.
  eventBus.on('elements.changed', ({ elements }) => {
    for (const element of elements) {
      if (marked.includes(element.id)) {
        clearMarker(element.id);
        marked = marked.filter((id) => id !== element.id);
        const link = problemList && problemList.querySelector(`button[data-element="${CSS.escape(element.id)}"]`);
        link && link.closest('li').classList.add('dd-problem-changed');
      }
    }
  });

  eventBus.on('commandStack.changed', () => {
    if (loaded && !saving) {
      setStatus(isDirty() ? i18n.unsaved : '');
    }
  });

  window.addEventListener('beforeunload', (event) => {
    if (isDirty() && !leaving) {
      event.preventDefault();
      event.returnValue = '';
    }
  });

  // `force`: the admin confirmed saving although someone saved a newer version meanwhile.
  const save = async (force = false) => {
    if (!loaded || saving || leaving) {
      return;
    }
    let again = false;
    saving = true;
    setSaveEnabled();
    clearProblems();
    setStatus(i18n.saving);
    try {
      const { xml } = await modeler.saveXML({ format: true });
      const response = await fetch(root.dataset.saveUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'X-CSRFToken': tokenMeta ? tokenMeta.content : '',
        },
        body: JSON.stringify({
          xml,
          comment: commentInput ? commentInput.value : '',
          base: Number(root.dataset.baseNumber) || null,
          force,
        }),
      });
      const data = await response.json().catch(() => null);
      const error = (data && data.error) || {};
      if (response.status === 201) {
        leaving = true;
        setStatus(i18n.saved);
        if (data && data.url) {
          window.location.assign(data.url);
        }
      } else if (response.status === 422 && error.details && Array.isArray(error.details.problems)) {
        showProblems(error.details.problems);
        setStatus(i18n.invalid);
      } else if (response.status === 409 && error.code === 'newer_version') {
        setStatus(error.message);
        again = window.confirm(error.message);
      } else {
        setStatus(error.message || response.statusText || String(response.status));
      }
    } catch (err) {
      setStatus(err && err.message ? err.message : String(err));
    } finally {
      saving = false;
      setSaveEnabled();
    }
    if (again) {
      save(true);
    }
  };

  if (saveButton) {
    saveButton.addEventListener('click', () => save(false));
  }
  setSaveEnabled();

  const load = async () => {
    const response = await fetch(root.dataset.xmlUrl, {
      credentials: 'same-origin',
      headers: { Accept: 'application/xml' },
    });
    if (!response.ok) {
      throw new Error(response.statusText || String(response.status));
    }
    const result = await modeler.importXML(await response.text());
    keepVariableReferences(modeler.get('moddle'), result.warnings);
    canvas.zoom('fit-viewport', 'auto');
    loaded = true;
    setSaveEnabled();
    setStatus('');
    root.dataset.ready = 'true';
  };
  load().catch((err) => {
    const detail = err && err.message ? err.message : String(err);
    setStatus(i18n.loadFailed ? `${i18n.loadFailed} (${detail})` : detail);
  });

  window.dondocModeler = modeler; // for tests and the browser console
}

start();
