// The parts of Drone's JSON cc-ci reads (interfaces §D.3: core/build.go, core/stage.go,
// core/step.go, core/logs.go field names), checked with zod; fields cc-ci does not read are kept
// as they come (looseObject), and missing optional ones take Drone's zero values.
import { z } from 'zod';

const stepSchema = z.looseObject({
  id: z.number().optional(),
  number: z.number(),
  name: z.string(),
  status: z.string(),
  error: z.string().optional(),
  exit_code: z.number().default(0),
  started: z.number().default(0),
  stopped: z.number().default(0),
});

const stageSchema = z.looseObject({
  id: z.number().optional(),
  number: z.number(),
  name: z.string(),
  kind: z.string().optional(),
  type: z.string().optional(),
  status: z.string(),
  error: z.string().optional(),
  exit_code: z.number().default(0),
  // The runner that took the stage (its DRONE_RUNNER_NAME, by default the host name); "" until one does.
  machine: z.string().default(''),
  started: z.number().default(0),
  stopped: z.number().default(0),
  // Drone omits `steps` from a stage no runner has compiled yet.
  steps: z.array(stepSchema).default([]),
});

export const buildSchema = z.looseObject({
  id: z.number().optional(),
  number: z.number().int().positive(),
  status: z.string(),
  error: z.string().optional(),
  event: z.string().optional(),
  trigger: z.string().optional(),
  params: z.record(z.string(), z.string()).nullish(),
  created: z.number().default(0),
  started: z.number().default(0),
  finished: z.number().default(0),
  // A build just created may come without stages (omitempty).
  stages: z.array(stageSchema).default([]),
});

export const logLinesSchema = z.array(z.looseObject({ pos: z.number(), out: z.string(), time: z.number() }));

export type DroneBuild = z.infer<typeof buildSchema>;
export type DroneStage = z.infer<typeof stageSchema>;
export type DroneStep = z.infer<typeof stepSchema>;
export type DroneLogLine = z.infer<typeof logLinesSchema>[number];
