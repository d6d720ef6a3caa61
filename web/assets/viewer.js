// Read-only diagram of a directive's process with the trail of its assignments: steps done,
// active or overdue, and the sequence flows taken, for the whole directive or one assignment.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import spiffworkflow from './spiffworkflow.json';
import { readJson } from './common.js';
import LaneLabelsModule from './labels.js';

// When an element has several states (one per assignment), the most urgent one is shown.
const RANK = { overdue: 4, active: 3, waiting_timer: 2, completed: 1 };
const MARKER = { overdue: 'dd-overdue', active: 'dd-active', waiting_timer: 'dd-waiting', completed: 'dd-done' };
const MARKERS = Object.values(MARKER).concat('dd-path', 'dd-container');

function start() {
  const root = document.getElementById('instance-view');
  if (!root) {
    return;
  }
  const i18n = readJson(root.dataset.i18n, {});
  const scopeSelect = document.getElementById('instance-scope');
  const viewer = new NavigatedViewer({
    container: root.querySelector('#instance-canvas'),
    moddleExtensions: { spiffworkflow },
    additionalModules: [LaneLabelsModule],
    dondocLabels: { lanes: readJson(root.dataset.lanes, {}) },
  });
  const canvas = viewer.get('canvas');
  const elementRegistry = viewer.get('elementRegistry');
  const overlays = viewer.get('overlays');
  let trail = { elements: [], flows: [] };
  let marked = [];

  const unmark = () => {
    for (const id of marked) {
      MARKERS.forEach((marker) => canvas.removeMarker(id, marker));
    }
    marked = [];
    overlays.remove({ type: 'dd-units' });
  };

  const mark = () => {
    unmark();
    const scope = scopeSelect ? scopeSelect.value : '';
    // Items without a ref (directive-level steps such as the assignment) belong to every scope.
    const inScope = (item) => !scope || item.ref === undefined || item.ref === null || item.ref === '' || String(item.ref) === scope;
    const states = new Map(); // element id -> {state, units}
    for (const item of trail.elements || []) {
      if (!inScope(item) || !RANK[item.state] || !elementRegistry.get(item.id)) {
        continue;
      }
      const entry = states.get(item.id) || { state: item.state, units: new Set() };
      if (RANK[item.state] > RANK[entry.state]) {
        entry.state = item.state;
      }
      if (item.unit && (item.state === 'active' || item.state === 'overdue')) {
        entry.units.add(item.unit);
      }
      states.set(item.id, entry);
    }
    for (const [id, { state, units }] of states) {
      canvas.addMarker(id, MARKER[state]);
      marked.push(id);
      const shape = elementRegistry.get(id);
      if (shape && shape.children && shape.children.length) {
        // An expanded sub-process holds the steps: outline it, do not paint over them.
        canvas.addMarker(id, 'dd-container');
      }
      if (units.size && (state === 'active' || state === 'overdue')) {
        const badge = document.createElement('div');
        badge.className = `dd-units dd-units-${state}`;
        badge.textContent = [...units].sort().join(', ');
        if (i18n[state]) {
          badge.title = i18n[state];
        }
        overlays.add(id, 'dd-units', { position: { top: -11, right: 4 }, scale: { min: 1 }, html: badge });
      }
    }
    const taken = new Set((trail.flows || []).filter(inScope).map((flow) => `${flow.source}\u0000${flow.target}`));
    if (taken.size) {
      elementRegistry
        .filter((element) => element.type === 'bpmn:SequenceFlow')
        .forEach((connection) => {
          const { sourceRef, targetRef } = connection.businessObject;
          if (sourceRef && targetRef && taken.has(`${sourceRef.id}\u0000${targetRef.id}`)) {
            canvas.addMarker(connection.id, 'dd-path');
            marked.push(connection.id);
          }
        });
    }
  };

  const load = async () => {
    const response = await fetch(root.dataset.trailUrl, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
    if (!response.ok) {
      throw new Error(response.statusText || String(response.status));
    }
    trail = await response.json();
    await viewer.importXML(trail.xml);
    canvas.zoom('fit-viewport', 'auto');
    mark();
    if (trail.version !== undefined && trail.version !== null && i18n.version) {
      const caption = document.createElement('div');
      caption.className = 'dd-version';
      caption.textContent = i18n.version.replace('%(number)s', String(trail.version));
      root.querySelector('#instance-canvas').append(caption);
    }
    root.dataset.ready = 'true';
  };

  if (scopeSelect) {
    scopeSelect.addEventListener('change', mark);
  }
  load().catch((err) => {
    const message = document.createElement('p');
    message.className = 'dd-load-error';
    message.textContent = i18n.loadFailed || (err && err.message) || String(err);
    message.title = (err && err.message) || '';
    root.prepend(message);
  });

  window.dondocViewer = viewer; // for tests and the browser console
}

start();
