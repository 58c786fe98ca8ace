/**
 * The chat completion tasks against any OpenAI-compatible endpoint:
 * - `io.kestra.plugin.openai.ChatCompletion` (plugin-openai): the request the OpenAI Java SDK
 *   builds from the task's properties, and the answer's id, object, model, choices and usage as
 *   outputs, in the API's own field names (`choices[0].message.tool_calls`…);
 * - `io.kestra.plugin.ai.completion.ChatCompletion` (plugin-ai) with the OpenAI, DeepSeek,
 *   HuggingFace, MistralAI, Anthropic, GoogleGemini or Ollama provider (./providers.ts): messages
 *   of type SYSTEM/USER/AI, `configuration`, and plugin-ai's outputs (textOutput or jsonOutput,
 *   tokenUsage, finishReason, requestDuration…).
 * Sources: plugin-openai `ChatCompletion.java`, plugin-ai `completion/ChatCompletion.java`,
 * `domain/AIOutput.java`, `domain/TokenUsage.java`, `domain/ChatConfiguration.java`.
 */
import { asList, asRecord } from '../coerce.js';
import type { TaskResult, TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';
import { checkedBaseUrl, DEFAULT_OPENAI_BASE_URL, postChatCompletion } from './openai-http.js';
import { chatWith, providerName, SUPPORTED_PROVIDERS, type ChatMessage, type ChatSettings } from './providers.js';

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

/** A number from `configuration`, or undefined. */
function configNumber(configuration: Record<string, unknown>, name: string): number | undefined {
  const value = configuration[name];
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TaskError('INVALID_PROPERTY', `Invalid \`configuration.${name}\`: expected a number`);
  return n;
}

const isTrue = (value: unknown): boolean => value === true || value === 'true';

/** plugin-ai's ChatConfiguration and its ResponseFormat checks. */
function settingsOf(configuration: Record<string, unknown>): ChatSettings {
  const responseFormatSet = configuration.responseFormat !== undefined && configuration.responseFormat !== null;
  const responseFormat = responseFormatSet ? asRecord(configuration.responseFormat, 'configuration.responseFormat') : {};
  const type = String(responseFormat.type ?? 'TEXT').toUpperCase();
  if (type !== 'TEXT' && type !== 'JSON')
    throw new TaskError('INVALID_PROPERTY', `Invalid \`configuration.responseFormat.type\` ${type}: expected TEXT or JSON`);
  const json = type === 'JSON';
  const hasSchema = responseFormat.jsonSchema !== undefined && responseFormat.jsonSchema !== null;
  if (!json && hasSchema) throw new TaskError('INVALID_PROPERTY', '`jsonSchema` property is only allowed when `type` is `JSON`');
  if (!json && isTrue(responseFormat.strictJson))
    throw new TaskError('INVALID_PROPERTY', '`strictJson` property is only allowed when `type` is `JSON`');
  const thinkingBudgetTokens = configNumber(configuration, 'thinkingBudgetTokens');
  return {
    ...(configNumber(configuration, 'temperature') !== undefined ? { temperature: configNumber(configuration, 'temperature') } : {}),
    ...(configNumber(configuration, 'topK') !== undefined ? { topK: configNumber(configuration, 'topK') } : {}),
    ...(configNumber(configuration, 'topP') !== undefined ? { topP: configNumber(configuration, 'topP') } : {}),
    ...(configNumber(configuration, 'seed') !== undefined ? { seed: configNumber(configuration, 'seed') } : {}),
    ...(configNumber(configuration, 'maxToken') !== undefined ? { maxToken: configNumber(configuration, 'maxToken') } : {}),
    thinkingEnabled: isTrue(configuration.thinkingEnabled),
    ...(thinkingBudgetTokens !== undefined ? { thinkingBudgetTokens } : {}),
    responseFormatSet,
    json,
    ...(hasSchema ? { jsonSchema: asRecord(responseFormat.jsonSchema, 'configuration.responseFormat.jsonSchema') } : {}),
    ...(typeof responseFormat.jsonSchemaDescription === 'string' ? { jsonSchemaDescription: responseFormat.jsonSchemaDescription } : {}),
    strictJson: isTrue(responseFormat.strictJson),
  };
}

/** `io.kestra.plugin.ai.completion.ChatCompletion` with one of the providers of ./providers.ts. */
export async function runAiChatCompletion(ctx: TaskRunContext): Promise<TaskResult> {
  const provider = asRecord(required(await ctx.property('provider'), 'provider'), 'provider');
  const providerType = String(provider.type ?? '');
  const name = providerName(providerType);
  // Keys first: whatever fails next, nothing can show them.
  for (const key of ['apiKey', 'clientPem']) if (typeof provider[key] === 'string' && provider[key] !== '') ctx.sensitive(provider[key]);
  if (name === undefined)
    throw new TaskError(
      'UNSUPPORTED',
      `Provider \`${providerType}\` is not supported by pebbleflow: use one of ${SUPPORTED_PROVIDERS.join(', ')} (OpenAI with its baseUrl for any OpenAI-compatible server)`,
    );
  if (Array.isArray(ctx.task.properties.tools) && ctx.task.properties.tools.length > 0)
    throw new TaskError('UNSUPPORTED', 'Tools are not supported by pebbleflow’s ChatCompletion: remove `tools`');

  const messages: ChatMessage[] = required(await ctx.property<unknown[]>('messages'), 'messages').map((raw, i) => {
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

  const settings = settingsOf(asRecord((await ctx.property('configuration')) ?? {}, 'configuration'));
  const started = Date.now();
  const answer = await chatWith(ctx, name, provider, messages, settings);
  const requestDuration = Date.now() - started;
  const outputs: Record<string, unknown> = {
    guardrailViolated: false,
    toolExecutions: [],
    intermediateResponses: [],
    sources: [],
    requestDuration,
  };
  if (settings.json) {
    try {
      outputs.jsonOutput = JSON.parse(answer.text ?? 'null') as unknown;
    } catch {
      throw new TaskError(
        'CHAT_COMPLETION_FAILED',
        'Chat completion failed: the model did not answer JSON although responseFormat is JSON',
      );
    }
  } else if (answer.text !== undefined) {
    outputs.textOutput = answer.text;
    // Deprecated in plugin-ai 1.0, still filled.
    outputs.aiResponse = answer.text;
  }
  if (answer.inputTokens !== undefined || answer.outputTokens !== undefined || answer.totalTokens !== undefined)
    outputs.tokenUsage = {
      inputTokenCount: answer.inputTokens,
      outputTokenCount: answer.outputTokens,
      totalTokenCount: answer.totalTokens,
    };
  if (answer.finishReason !== undefined) outputs.finishReason = answer.finishReason;
  return { outputs };
}
