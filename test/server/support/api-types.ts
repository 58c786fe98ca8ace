/** Kestra's API JSON shapes, as far as the tests read them. */
export interface ApiState {
  readonly current: string;
  readonly histories: { readonly state: string; readonly date: string }[];
  readonly startDate: string;
  readonly endDate?: string;
}
export interface ApiAttempt {
  readonly state: ApiState;
  readonly workerId?: string;
}
export interface ApiTaskRun {
  readonly id: string;
  readonly executionId: string;
  readonly namespace: string;
  readonly flowId: string;
  readonly taskId: string;
  readonly parentTaskRunId?: string;
  readonly value?: string;
  readonly attempts: ApiAttempt[];
  readonly outputs: Record<string, unknown>;
  readonly state: ApiState;
}
export interface ApiExecution {
  readonly id: string;
  readonly namespace: string;
  readonly flowId: string;
  readonly flowRevision: number;
  readonly taskRunList: ApiTaskRun[];
  readonly inputs: Record<string, unknown>;
  readonly outputs?: Record<string, unknown>;
  readonly labels: { readonly key: string; readonly value: string }[];
  readonly state: ApiState;
  readonly trigger?: { readonly id: string; readonly type: string; readonly variables?: Record<string, unknown> };
  readonly scheduleDate?: string;
  readonly url?: string;
  readonly deleted: boolean;
}
export interface ApiLog {
  readonly namespace: string;
  readonly flowId: string;
  readonly executionId: string;
  readonly taskId?: string;
  readonly taskRunId?: string;
  readonly attemptNumber?: number;
  readonly level: string;
  readonly message: string;
  readonly timestamp: string;
}
export interface ApiFlow {
  readonly id: string;
  readonly namespace: string;
  readonly revision: number;
  readonly source?: string;
  readonly disabled: boolean;
  readonly deleted: boolean;
  readonly labels?: { readonly key: string; readonly value: string }[];
  readonly tasks?: unknown[];
  readonly triggers?: unknown[];
}
export interface Paged<T> {
  readonly results: T[];
  readonly total: number;
}
export interface ApiError {
  readonly message: string;
  readonly _embedded?: { readonly errors: { readonly message: string }[] };
}
