// Alerts besides the forge's issues (config `alerts:`): the level alerts as a JSON POST to a chat
// bridge (`alerts.webhook`), and every run that ended `errored` as a JSON POST to the operator
// (`alerts.operator`): an error is cc-ci's or the host's problem, never the recipe's, so it goes
// to whoever runs cc-ci, whatever the run tested (a PR, a branch). Each POST is signed
// (src/forge/signed-post.ts), limited in time and tried a few times; nothing waits for it, and
// what was sent or failed is counted for /metrics and logged (never with the URL, which may
// hold a token).
import type { Config } from '../config/load-config.js';
import { postSigned, type PostOutcome } from '../forge/signed-post.js';
import type { Logger } from '../log/create-logger.js';
import type { RunControl } from '../queue/run-control.js';
import type { LevelAlertEvent } from './level-alerts.js';

export type AlertTarget = 'webhook' | 'operator';

/** What the operator is told of an errored run. */
export interface RunErroredEvent {
  event: 'run-errored';
  runId: string;
  recipe: string;
  ref: string;
  pr?: number;
  code: string;
  message: string;
  runUrl: string;
}

export interface AlertPostsDeps {
  config: Config;
  runs: Pick<RunControl, 'onChange'>;
  log: Logger;
  /** Test seam: the POST itself. */
  post?: typeof postSigned;
}

export class AlertPosts {
  private readonly counts = { sent: { webhook: 0, operator: 0 }, failed: { webhook: 0, operator: 0 } };
  private readonly inFlight = new Set<Promise<void>>();
  private readonly publicUrl: string;
  private readonly stopListening: () => void;

  constructor(private readonly deps: AlertPostsDeps) {
    this.publicUrl = deps.config.dashboard.publicUrl.replace(/\/$/, '');
    this.stopListening = deps.runs.onChange(({ run, event }) => {
      if (event || run.state !== 'errored') return;
      const alert: RunErroredEvent = {
        event: 'run-errored',
        runId: run.id,
        recipe: run.recipe,
        ref: run.ref,
        pr: run.pr,
        code: run.error?.code ?? 'INTERNAL',
        message: run.error?.message ?? '',
        runUrl: `${this.publicUrl}/runs/${run.id}`,
      };
      this.post('operator', alert);
    });
  }

  /** A level alert for the chat bridge (LevelAlerts' notify). */
  levelAlert(event: LevelAlertEvent): void {
    this.post('webhook', event);
  }

  /** Alerts sent and failed since serve started, by target. */
  sentAndFailed(): { sent: Record<AlertTarget, number>; failed: Record<AlertTarget, number> } {
    return { sent: { ...this.counts.sent }, failed: { ...this.counts.failed } };
  }

  close(): void {
    this.stopListening();
  }

  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private post(target: AlertTarget, payload: { event: string }): void {
    const where = this.deps.config.alerts[target];
    if (!where) return;
    const secret =
      target === 'webhook' ? this.deps.config.secrets.alertWebhookSecret : this.deps.config.secrets.alertOperatorSecret;
    const p = (this.deps.post ?? postSigned)({ url: where.url, secret }, payload)
      .catch((err: unknown): PostOutcome => ({ sent: false, why: String(err) }))
      .then((outcome) => {
        if (outcome.sent) {
          this.counts.sent[target]++;
          this.deps.log.info({ target, event: payload.event }, `alerts.${target}: ${payload.event} sent`);
        } else {
          this.counts.failed[target]++;
          this.deps.log.warn(
            { target, event: payload.event },
            `alerts.${target}: ${payload.event} not sent: ${outcome.why}; ` +
              `check alerts.${target}.url and that it answers`,
          );
        }
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }
}
