// `cc-ci drone pipeline`: prints the runner repository's .drone.yml (docs/drone.md).
import { dronePipeline } from '../drone/pipeline.js';

export interface DronePipelineFlags {
  /** cc-ci on the runner hosts. */
  ccCi?: string;
  /** The runner hosts' cc-ci.yml, handed to `cc-ci drone step --config`. */
  stepConfig?: string;
}

export function dronePipelineCommand(flags: DronePipelineFlags, out: (text: string) => void): number {
  out(dronePipeline({ ccCi: flags.ccCi, config: flags.stepConfig }));
  return 0;
}
