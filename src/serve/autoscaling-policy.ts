// The pure half of autoscaling: the default policy (how many replicas a load wants), the look-back average
// of load samples, and the decider that applies the policy with Ray's up/down delays. No timers, clocks or
// threads here: the controller passes `now` and keeps the returned state.
import type { ResolvedAutoscaling } from './options.ts';

export interface AutoscalingContext {
  /** Replicas the deployment has now (running + starting), the count the policy moves from. */
  currentReplicas: number;
  /** Ongoing requests across the deployment (running on replicas + queued in routers), averaged over the look-back window. */
  totalOngoingRequests: number;
  config: ResolvedAutoscaling;
  /** ms, the controller's clock. */
  now: number;
}

/** Desired replicas; may be fractional or out of bounds: the decider rounds up and clamps to [minReplicas, maxReplicas]. */
export type AutoscalingPolicy = (ctx: AutoscalingContext) => number;

/**
 * Ray's replica queue length policy. The error ratio is how far the load per replica is from the target,
 * (total / current) / targetOngoingRequests; the replica count moves by that ratio, each step scaled by
 * upscalingFactor (ratio > 1) or downscalingFactor (ratio < 1):
 *   desired = ceil(current * (1 + (ratio - 1) * factor)).
 * With a downscaling factor below 1 the step can round back to current although fewer replicas would carry
 * the load; then it is current - 1 instead, as in Ray, so a small factor slows a downscale without stopping it.
 * From zero replicas, desired = ceil(total / target): any load at all asks for at least one.
 */
export const defaultAutoscalingPolicy: AutoscalingPolicy = function replicaQueueLengthPolicy(ctx) {
  const { currentReplicas: current, totalOngoingRequests: total, config } = ctx;
  const { targetOngoingRequests: target, minReplicas: min, maxReplicas: max } = config;
  let desired: number;
  if (current <= 0) {
    desired = ceil(total / target);
  } else {
    const ratio = total / (current * target);
    const factor = ratio >= 1 ? config.upscalingFactor : config.downscalingFactor;
    desired = ceil(current * (1 + (ratio - 1) * factor));
    if (ratio < 1 && desired >= current && ceil(current * ratio) < current) desired = current - 1;
  }
  return Math.min(max, Math.max(min, desired));
};

/** Rounds up (2.3 replicas' worth of load needs 3), but float noise such as 5 * (1 + (0.4 - 1)) = 2.0000000000000004 stays 2. */
function ceil(x: number): number {
  return Math.ceil(x - 1e-9);
}

export interface LoadSample {
  at: number;
  ongoing: number;
}

/** Mean of the samples inside (now - lookBackPeriodMs, now]; undefined when none. */
export function averageOngoing(samples: readonly LoadSample[], now: number, lookBackPeriodMs: number): number | undefined {
  let sum = 0;
  let count = 0;
  for (const s of samples) {
    if (s.at > now - lookBackPeriodMs && s.at <= now) {
      sum += s.ongoing;
      count++;
    }
  }
  return count === 0 ? undefined : sum / count;
}

/** When the desired count first went above (upSince) or below (downSince) the current one, ms; unset while it is not. */
export interface ScaleState {
  upSince?: number;
  downSince?: number;
}

export interface ScaleDecision {
  /** Replicas the deployment should have: an integer within [minReplicas, maxReplicas]. */
  target: number;
  /** Keep it and pass it back on the next call. */
  state: ScaleState;
  /** Set when the policy threw or returned a non-number; the target then is the current count. */
  error?: string;
}

/**
 * Applies the policy and the delays. Delays are measured in time (never tick counts): a scale-up happens only
 * once the desired count has stayed above current for upscaleDelayMs (downscale: below for downscaleDelayMs;
 * the last replica, 1 → 0: for downscaleToZeroDelayMs; a downscale from more than one replica stops at one, as
 * in Ray, so that the to-zero delay always applies to the last). Scaling up from zero replicas ignores the delay
 * (a waiting request must not wait 30 s). A direction's timer restarts when the desired count comes back to
 * current or crosses to the other side, so a load that wobbles around a threshold does not flap the count; once
 * its delay has passed the target is the policy's desired count (not one step), and that timer restarts.
 * A policy that throws or returns a non-finite number keeps the current count and returns `error` naming what
 * it did. The target is always an integer within [minReplicas, maxReplicas].
 */
export function decideScale(input: {
  config: ResolvedAutoscaling;
  currentReplicas: number;
  totalOngoingRequests: number | undefined;
  now: number;
  state: ScaleState;
  policy?: AutoscalingPolicy;
}): ScaleDecision {
  const { config, currentReplicas, totalOngoingRequests, now, state } = input;
  const clamp = (n: number) => Math.min(config.maxReplicas, Math.max(config.minReplicas, n));
  const current = clamp(currentReplicas);
  if (totalOngoingRequests === undefined) return { target: current, state: { ...state } };

  const policy = input.policy ?? config.policy ?? defaultAutoscalingPolicy;
  let raw: unknown;
  try {
    raw = policy({ currentReplicas, totalOngoingRequests, config, now });
  } catch (err) {
    const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { target: current, state: { ...state }, error: `autoscaling policy ${policyName(policy)} threw ${why}; keeping ${current} replicas. Fix autoscalingConfig.policy.` };
  }
  if (typeof raw !== 'number' || !Number.isFinite(raw)) {
    const got = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? JSON.stringify(raw) : typeof raw;
    return {
      target: current,
      state: { ...state },
      error: `autoscaling policy ${policyName(policy)} returned ${got}, not a finite number of replicas; keeping ${current} replicas. Fix autoscalingConfig.policy.`,
    };
  }
  const desired = clamp(ceil(raw));

  if (desired > current) {
    if (currentReplicas === 0) return { target: desired, state: {} };
    const upSince = state.upSince ?? now;
    if (now - upSince >= config.upscaleDelayMs) return { target: desired, state: {} };
    return { target: current, state: { upSince } };
  }
  if (desired < current) {
    const toZero = current === 1;
    const delay = toZero ? config.downscaleToZeroDelayMs : config.downscaleDelayMs;
    const downSince = state.downSince ?? now;
    if (now - downSince >= delay) return { target: toZero ? desired : clamp(Math.max(1, desired)), state: {} };
    return { target: current, state: { downSince } };
  }
  return { target: current, state: {} };
}

function policyName(policy: AutoscalingPolicy): string {
  return policy.name ? `"${policy.name}"` : '(anonymous)';
}
