/**
 * The chat completion tasks against any OpenAI-compatible endpoint:
 * - `io.kestra.plugin.openai.ChatCompletion` (plugin-openai): the request the OpenAI Java SDK
 *   builds from the task's properties, and the answer's id, object, model, choices and usage as
 *   outputs, in the API's own field names (`choices[0].message.tool_calls`…);
 * - `io.kestra.plugin.ai.completion.ChatCompletion` (plugin-ai) with an `OpenAI` provider: messages
 *   of type SYSTEM/USER/AI, `configuration`, and plugin-ai's outputs (textOutput or jsonOutput,
 *   tokenUsage, finishReason, requestDuration…).
 * Sources: plugin-openai `ChatCompletion.java`, plugin-ai `completion/ChatCompletion.java`,
 * `domain/AIOutput.java`, `domain/TokenUsage.java`, `provider/OpenAI.java`.
 */
import { asList, asRecord } from '../coerce.js';
import type { TaskResult, TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';
import { checkedBaseUrl, DEFAULT_OPENAI_BASE_URL, postChatCompletion } from './openai-http.js';

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === ''))
    throw new TaskError('INVALID_PROPERTY', `Missing required property \`${name}\``);
  return value;
}

/** The base URL: the OpenAI SDKs' `OPENAI_BASE_URL` environment variable, else OpenAI's. */
function envBaseUrl(ctx: TaskRunContext): string {
  const fromEnv = ctx.env.OPENAI_BASE_URL;
  return fromEnv !== undefined && fromEnv.trim() !== ''
    ? checkedBaseUrl(fromEnv, 'OPENAI_BASE_URL (environment)')
    : DEFAULT_OPENAI_BASE_URL;
}

/** plugin-openai's Role.fromString: assistant, system, anything else is user. */
function role(value: unknown): 'assistant' | 'system' | 'user' {
  const lower = String(value ?? '').toLowerCase();
  return lower === 'assistant' ? 'assistant' : lower === 'system' ? 'system' : 'user';
}

/** plugin-openai's toFunctionDefinition: parameters become an object JSON Schema. */
function toolOf(raw: unknown, index: number): Record<string, unknown> | undefined {
  const fn = asRecord(raw, `functions[${index}]`);
  if (fn.parameters === undefined || fn.parameters === null) return undefined;
  const properties: Record<string, unknown> = {};
  const requiredList: string[] = [];
  asList(fn.parameters, `functions[${index}].parameters`).forEach((rawParam, i) => {
    const param = asRecord(rawParam, `functions[${index}].parameters[${i}]`);
    if (typeof param.name !== 'string' || param.name === '') throw new TaskError('INVALID_PROPERTY', 'Parameter name cannot be null');
    if (typeof param.type !== 'string' || param.type === '') throw new TaskError('INVALID_PROPERTY', 'Parameter type cannot be null');
    const schema: Record<string, unknown> = { type: param.type };
    if (typeof param.description === 'string') schema.description = param.description;
    const enumValues =
      param.enumValues === undefined || param.enumValues === null ? [] : asList(param.enumValues, 'enumValues').map(String);
    if (enumValues.length > 0) schema.enum = enumValues;
    if (param.required === true || param.required === 'true') requiredList.push(param.name);
    properties[param.name] = schema;
  });
  if (typeof fn.name !== 'string' || fn.name === '') throw new TaskError('INVALID_PROPERTY', 'Function name cannot be null');
  return {
    type: 'function',
    function: {
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      parameters: { type: 'object', properties, required: requiredList },
    },
  };
}

/** `io.kestra.plugin.openai.ChatCompletion`. */
export async function runOpenAiChatCompletion(ctx: TaskRunContext): Promise<TaskResult> {
  const apiKey = required(await ctx.property<string>('apiKey'), 'apiKey');
  ctx.sensitive(apiKey);
  const model = required(await ctx.property<string>('model'), 'model');
  const rawMessages = await ctx.property<unknown[]>('messages');
  const prompt = await ctx.property<string>('prompt');
  if (rawMessages === undefined && prompt === undefined)
    throw new TaskError('INVALID_PROPERTY', 'Either `messages` or `prompt` must be set');
  const messages: Record<string, unknown>[] = (rawMessages ?? []).map((raw, i) => {
    const message = asRecord(raw, `messages[${i}]`);
    return { role: role(message.role), content: message.content === undefined || message.content === null ? '' : String(message.content) };
  });
  if (prompt !== undefined) messages.push({ role: 'user', content: prompt });

  const body: Record<string, unknown> = {
    messages,
    model,
    temperature: (await ctx.property<number>('temperature')) ?? 1.0,
    n: (await ctx.property<number>('n')) ?? 1,
  };
  const optional: [string, string][] = [
    ['maxTokens', 'max_completion_tokens'],
    ['presencePenalty', 'presence_penalty'],
    ['frequencyPenalty', 'frequency_penalty'],
    ['topP', 'top_p'],
    ['user', 'user'],
  ];
  for (const [property, field] of optional) {
    const value = await ctx.property(property);
    if (value !== undefined && value !== null) body[field] = value;
  }
  const stop = ((await ctx.property<unknown[]>('stop')) ?? []).map(String);
  if (stop.length > 0) body.stop = stop;
  const logitBias = await ctx.property<Record<string, unknown>>('logitBias');
  if (logitBias !== undefined && Object.keys(logitBias).length > 0) body.logit_bias = logitBias;
  const jsonSchema = await ctx.property<string>('jsonResponseSchema');
  if (jsonSchema !== undefined) {
    let schema: unknown;
    try {
      schema = JSON.parse(jsonSchema);
    } catch (e) {
      throw new TaskError('INVALID_PROPERTY', `Invalid \`jsonResponseSchema\`: not JSON (${(e as Error).message})`);
    }
    body.response_format = { type: 'json_schema', json_schema: { name: 'kestra_schema', strict: true, schema } };
  }
  if ((await ctx.property<boolean>('promptCaching')) === true) body.prompt_cache_retention = '24h';

  const tools = ((await ctx.property<unknown[]>('functions')) ?? []).map(toolOf).filter((t) => t !== undefined);
  const functionCall = (await ctx.property<string>('functionCall')) ?? 'auto';
  if (tools.length > 0) {
    body.tools = tools;
    if (functionCall.toLowerCase() === 'auto') body.tool_choice = 'auto';
    else if (functionCall.toLowerCase() === 'none') body.tool_choice = 'none';
    else {
      if (!tools.some((t) => (t.function as { name: string }).name === functionCall))
        throw new TaskError(
          'INVALID_PROPERTY',
          `Requested function '${functionCall}' for \`functionCall\` is not provided in \`functions\` list.`,
        );
      body.tool_choice = { type: 'function', function: { name: functionCall } };
    }
  } else if (functionCall.toLowerCase() === 'none') body.tool_choice = 'none';
  else if (functionCall.toLowerCase() !== 'auto')
    throw new TaskError(
      'INVALID_PROPERTY',
      `Cannot specify a function name for \`functionCall\` ('${functionCall}') when no \`functions\` are provided.`,
    );

  const answer = await postChatCompletion(ctx, { baseUrl: envBaseUrl(ctx), apiKey, body });
  const usage = answer.usage as Record<string, unknown> | undefined;
  if (usage !== undefined && usage !== null)
    ctx.log(
      'DEBUG',
      `Tokens: ${String(usage.prompt_tokens)} prompt, ${String(usage.completion_tokens)} completion, ${String(usage.total_tokens)} total`,
    );
  const outputs: Record<string, unknown> = {};
  for (const key of ['id', 'object', 'model', 'choices', 'usage'])
    if (answer[key] !== undefined && answer[key] !== null) outputs[key] = answer[key];
  return { outputs };
}

/** langchain4j's FinishReason for OpenAI's `finish_reason`. */
function finishReason(value: unknown): string | undefined {
  switch (value) {
    case 'stop':
      return 'STOP';
    case 'length':
      return 'LENGTH';
    case 'tool_calls':
    case 'function_call':
      return 'TOOL_EXECUTION';
    case 'content_filter':
      return 'CONTENT_FILTER';
    case undefined:
    case null:
      return undefined;
    default:
      return 'OTHER';
  }
}

/** The plugin-ai provider types that speak OpenAI's API (the langchain4j names are aliases). */
const OPENAI_PROVIDERS = new Set(['io.kestra.plugin.ai.provider.OpenAI', 'io.kestra.plugin.langchain4j.provider.OpenAI']);

/** `io.kestra.plugin.ai.completion.ChatCompletion` with an OpenAI(-compatible) provider. */
export async function runAiChatCompletion(ctx: TaskRunContext): Promise<TaskResult> {
  const provider = asRecord(required(await ctx.property('provider'), 'provider'), 'provider');
  const providerType = String(provider.type ?? '');
  if (!OPENAI_PROVIDERS.has(providerType))
    throw new TaskError(
      'UNSUPPORTED',
      `Provider \`${providerType}\` is not supported by pebbleflow: use io.kestra.plugin.ai.provider.OpenAI with its baseUrl for any OpenAI-compatible server`,
    );
  const apiKey = typeof provider.apiKey === 'string' ? provider.apiKey : undefined;
  if (apiKey !== undefined) ctx.sensitive(apiKey);
  required(apiKey, 'provider.apiKey');
  const modelName = required(typeof provider.modelName === 'string' ? provider.modelName : undefined, 'provider.modelName');
  const baseUrl =
    typeof provider.baseUrl === 'string' && provider.baseUrl.trim() !== ''
      ? checkedBaseUrl(provider.baseUrl, 'provider.baseUrl')
      : envBaseUrl(ctx);
  if (Array.isArray(ctx.task.properties.tools) && ctx.task.properties.tools.length > 0)
    throw new TaskError('UNSUPPORTED', 'Tools are not supported by pebbleflow’s ChatCompletion: remove `tools`');

  const messages = required(await ctx.property<unknown[]>('messages'), 'messages').map((raw, i) => {
    const message = asRecord(raw, `messages[${i}]`);
    const type = String(message.type ?? 'USER').toUpperCase();
    const content = message.content;
    if (typeof content !== 'string' || content === '')
      throw new TaskError('INVALID_PROPERTY', `Message type ${type} must define either \`content\` or \`contentBlocks\`.`);
    if (type !== 'SYSTEM' && type !== 'USER' && type !== 'AI')
      throw new TaskError('INVALID_PROPERTY', `Invalid message type \`${type}\`: expected SYSTEM, USER or AI`);
    return { type, content };
  });
  if (messages.filter((m) => m.type === 'SYSTEM').length > 1) throw new TaskError('INVALID_PROPERTY', 'Only one system message is allowed');
  if (messages.at(-1)?.type !== 'USER') throw new TaskError('INVALID_PROPERTY', 'The last message must be a user message');
  // langchain4j puts the system message first, then the history in order.
  const ordered = [...messages.filter((m) => m.type === 'SYSTEM'), ...messages.filter((m) => m.type !== 'SYSTEM')];

  const configuration = asRecord((await ctx.property('configuration')) ?? {}, 'configuration');
  const body: Record<string, unknown> = {
    model: modelName,
    messages: ordered.map((m) => ({ role: m.type === 'AI' ? 'assistant' : m.type.toLowerCase(), content: m.content })),
  };
  for (const [property, field] of [
    ['temperature', 'temperature'],
    ['topP', 'top_p'],
    ['seed', 'seed'],
    ['maxToken', 'max_tokens'],
  ] as const)
    if (configuration[property] !== undefined && configuration[property] !== null) body[field] = configuration[property];
  const responseFormat =
    configuration.responseFormat === undefined ? {} : asRecord(configuration.responseFormat, 'configuration.responseFormat');
  const json = String(responseFormat.type ?? 'TEXT').toUpperCase() === 'JSON';
  if (json) {
    const schema = responseFormat.jsonSchema;
    body.response_format =
      schema === undefined || schema === null
        ? { type: 'json_object' }
        : {
            type: 'json_schema',
            json_schema: {
              name: 'JsonSchema',
              strict: responseFormat.strictJson === true || responseFormat.strictJson === 'true',
              schema,
              ...(typeof responseFormat.jsonSchemaDescription === 'string' ? { description: responseFormat.jsonSchemaDescription } : {}),
            },
          };
  }

  const started = Date.now();
  const answer = await postChatCompletion(ctx, { baseUrl, apiKey, body });
  const requestDuration = Date.now() - started;
  const choice = (Array.isArray(answer.choices) ? answer.choices[0] : undefined) as Record<string, unknown> | undefined;
  const message = (choice?.message ?? {}) as Record<string, unknown>;
  const text = typeof message.content === 'string' ? message.content : undefined;
  const usage = answer.usage as Record<string, unknown> | undefined;
  const outputs: Record<string, unknown> = {
    guardrailViolated: false,
    toolExecutions: [],
    intermediateResponses: [],
    sources: [],
    requestDuration,
  };
  if (json) {
    try {
      outputs.jsonOutput = JSON.parse(text ?? 'null') as unknown;
    } catch {
      throw new TaskError(
        'CHAT_COMPLETION_FAILED',
        'Chat completion failed: the model did not answer JSON although responseFormat is JSON',
      );
    }
  } else if (text !== undefined) {
    outputs.textOutput = text;
    // Deprecated in plugin-ai 1.0, still filled.
    outputs.aiResponse = text;
  }
  if (usage !== undefined && usage !== null)
    outputs.tokenUsage = {
      inputTokenCount: usage.prompt_tokens,
      outputTokenCount: usage.completion_tokens,
      totalTokenCount: usage.total_tokens,
    };
  const reason = finishReason(choice?.finish_reason);
  if (reason !== undefined) outputs.finishReason = reason;
  return { outputs };
}
