// Lane membership of the nodes inside an expanded subprocess (bpmn/README.md: "unit_work" is in no
// lane, its inner nodes are listed in the process-level laneSet).
//
// bpmn-js keeps flowNodeRef up to date only for the direct children of a participant: for a node
// inside a subprocess it looks for lanes in the subprocess, finds none and removes the node from
// its lane (moving "execute" a little made it lane-less), and a lane resize puts the subprocess
// itself into the lane under its centre (which would force that lane on everything inside).
// After each lane update this puts the touched nested nodes back into the lanes of the
// participant under their centre and keeps expanded subprocesses out of lanes, in the same
// command (one undo step).
import CommandInterceptor from 'diagram-js/lib/command/CommandInterceptor';
import { is } from 'bpmn-js/lib/util/ModelUtil';
import { isExpanded } from 'bpmn-js/lib/util/DiUtil';
import { collectLanes } from 'bpmn-js/lib/features/modeling/util/LaneUtil';

const isContainer = (shape) => is(shape, 'bpmn:SubProcess') && isExpanded(shape);

// The participant (or process) holding the lanes, and whether `shape` sits inside a subprocess.
function placement(shape) {
  let nested = false;
  for (let parent = shape.parent; parent; parent = parent.parent) {
    if (is(parent, 'bpmn:Participant') || is(parent, 'bpmn:Process') || !parent.parent) {
      return { root: parent, nested };
    }
    if (isContainer(parent)) {
      nested = true;
    }
  }
  return { root: null, nested };
}

function contains(lane, shape) {
  const x = shape.x + shape.width / 2;
  const y = shape.y + shape.height / 2;
  return x > lane.x && x < lane.x + lane.width && y > lane.y && y < lane.y + lane.height;
}

function descendants(shape, into = []) {
  for (const child of shape.children || []) {
    if (!child.labelTarget && !child.waypoints) {
      into.push(child);
      descendants(child, into);
    }
  }
  return into;
}

export class NestedLaneRefsBehavior extends CommandInterceptor {
  constructor(eventBus, elementRegistry, commandStack) {
    super(eventBus);

    this.postExecute('lane.updateRefs', (event) => {
      const context = event.context;
      if (context.dondocNested) {
        return;
      }
      let shapes;
      if ((context.laneShapes || []).length) {
        shapes = elementRegistry.filter((element) => is(element, 'bpmn:FlowNode') && !element.labelTarget);
      } else {
        shapes = (context.updates || [])
          .map((update) => elementRegistry.get(update.flowNode.id))
          .filter(Boolean);
      }
      for (const shape of [...shapes]) {
        if (isContainer(shape)) {
          shapes.push(...descendants(shape));
        }
      }
      const updates = [];
      const seen = new Set();
      for (const shape of shapes) {
        if (seen.has(shape) || !shape.parent || !is(shape, 'bpmn:FlowNode')) {
          continue;
        }
        seen.add(shape);
        const { root, nested } = placement(shape);
        const laneShapes = root ? collectLanes(root) : [];
        if (!laneShapes.length || (!nested && !isContainer(shape))) {
          continue; // bpmn-js' own update is right for the participant's direct children
        }
        const wanted = isContainer(shape)
          ? []
          : laneShapes.filter((lane) => contains(lane, shape)).map((lane) => lane.businessObject);
        const current = shape.businessObject.get('lanes');
        const add = wanted.filter((lane) => !current.includes(lane));
        const remove = current.filter((lane) => !wanted.includes(lane));
        if (add.length || remove.length) {
          updates.push({ flowNode: shape.businessObject, add, remove });
        }
      }
      if (updates.length) {
        commandStack.execute('lane.updateRefs', { flowNodeShapes: [], laneShapes: [], updates, dondocNested: true });
      }
    });
  }
}

NestedLaneRefsBehavior.$inject = ['eventBus', 'elementRegistry', 'commandStack'];

export default {
  __init__: ['dondocNestedLaneRefs'],
  dondocNestedLaneRefs: ['type', NestedLaneRefsBehavior],
};
