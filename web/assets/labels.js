// Lanes are named after roles (bpmn/README.md: "supervisor", "unit", ...): the diagram shows
// each lane under the name people use, in the page's language, while the saved name stays the
// role. A renderer ahead of bpmn-js' own draws the lane, then writes the shown name over it.
import BaseRenderer from 'diagram-js/lib/draw/BaseRenderer';
import { is, getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';

const HIGH_PRIORITY = 1500;

export class LaneLabelRenderer extends BaseRenderer {
  constructor(eventBus, bpmnRenderer, config) {
    super(eventBus, HIGH_PRIORITY);
    this.bpmnRenderer = bpmnRenderer;
    this.names = (config && config.lanes) || {};
  }

  canRender(element) {
    return is(element, 'bpmn:Lane') && Boolean(this.names[getBusinessObject(element).name]);
  }

  drawShape(parentGfx, element) {
    const shape = this.bpmnRenderer.drawShape(parentGfx, element);
    const shown = this.names[getBusinessObject(element).name];
    const text = parentGfx.querySelector('text.djs-label');
    if (text && shown) {
      const lines = text.querySelectorAll('tspan');
      lines.forEach((line, index) => { line.textContent = index === 0 ? shown : ''; });
      text.setAttribute('data-role', getBusinessObject(element).name);
    }
    return shape;
  }

  getShapePath(shape) {
    return this.bpmnRenderer.getShapePath(shape);
  }
}

LaneLabelRenderer.$inject = ['eventBus', 'bpmnRenderer', 'config.dondocLabels'];

export default {
  __init__: ['dondocLaneLabels'],
  dondocLaneLabels: ['type', LaneLabelRenderer],
};
