/**
 * Every savepoint command by oclif id, for oclif's `explicit` command discovery
 * (package.json `oclif.commands`): the CLI is bundled into one file (scripts/bundle.mjs), so
 * oclif cannot find commands by globbing `dist/commands`. Each file under `src/commands`
 * must be listed here (test/cli-startup.test.ts checks it); the command's id is its path.
 */
import type { Command } from '@oclif/core/command';
import AttemptsList from '../commands/attempts/list.js';
import AttemptsStats from '../commands/attempts/stats.js';
import CheckpointCreate from '../commands/checkpoint/create.js';
import CheckpointDiff from '../commands/checkpoint/diff.js';
import CheckpointExport from '../commands/checkpoint/export.js';
import CheckpointList from '../commands/checkpoint/list.js';
import CheckpointPrune from '../commands/checkpoint/prune.js';
import CheckpointShow from '../commands/checkpoint/show.js';
import CorrectionRevert from '../commands/correction/revert.js';
import DecisionList from '../commands/decision/list.js';
import DecisionRecord from '../commands/decision/record.js';
import DecisionShow from '../commands/decision/show.js';
import Doctor from '../commands/doctor.js';
import Exec from '../commands/exec.js';
import Gc from '../commands/gc.js';
import OpsList from '../commands/ops/list.js';
import OpsShow from '../commands/ops/show.js';
import PlanAbandon from '../commands/plan/abandon.js';
import PlanApply from '../commands/plan/apply.js';
import PlanCreate from '../commands/plan/create.js';
import PlanList from '../commands/plan/list.js';
import PlanPolicySet from '../commands/plan/policy/set.js';
import PlanPolicyShow from '../commands/plan/policy/show.js';
import PlanRollback from '../commands/plan/rollback.js';
import PlanShow from '../commands/plan/show.js';
import Recover from '../commands/recover.js';
import Undo from '../commands/undo.js';

export const COMMANDS = {
  'attempts:list': AttemptsList,
  'attempts:stats': AttemptsStats,
  'checkpoint:create': CheckpointCreate,
  'checkpoint:diff': CheckpointDiff,
  'checkpoint:export': CheckpointExport,
  'checkpoint:list': CheckpointList,
  'checkpoint:prune': CheckpointPrune,
  'checkpoint:show': CheckpointShow,
  'correction:revert': CorrectionRevert,
  'decision:list': DecisionList,
  'decision:record': DecisionRecord,
  'decision:show': DecisionShow,
  doctor: Doctor,
  exec: Exec,
  gc: Gc,
  'ops:list': OpsList,
  'ops:show': OpsShow,
  'plan:abandon': PlanAbandon,
  'plan:apply': PlanApply,
  'plan:create': PlanCreate,
  'plan:list': PlanList,
  'plan:policy:set': PlanPolicySet,
  'plan:policy:show': PlanPolicyShow,
  'plan:rollback': PlanRollback,
  'plan:show': PlanShow,
  recover: Recover,
  undo: Undo,
} satisfies Record<string, Command.Class>;
