/**
 * plugin-ai's chat providers, each speaking its vendor's own HTTP API the way the langchain4j
 * model plugin-ai builds for it does (request fields, defaults, answer parsing, finish reasons):
 * - OpenAI-compliant (`OpenAI`, `DeepSeek`, `HuggingFace`): POST `<baseUrl>/chat/completions`;
 * - `MistralAI`: the same path, with Mistral's `random_seed` and `response_format`;
 * - `Anthropic`: POST `<baseUrl>/messages` (Messages API, `x-api-key`, `anthropic-version`);
 * - `GoogleGemini`: POST `<baseUrl>/models/<model>:generateContent` (`x-goog-api-key`);
 * - `Ollama`: POST `<endpoint>/api/chat` with `stream: false`.
 * Sources: plugin-ai `provider/*.java`, `domain/ChatConfiguration.java`; langchain4j's
 * AnthropicChatModel/AnthropicMapper, BaseGeminiChatModel/SchemaMapper/FinishReasonMapper,
 * InternalOllamaHelper, MistralAiChatModel/MistralAiMapper, OpenAiChatModel.
 */
import type { TaskRunContext } from '../definition.js';
import { TaskError } from '../types.js';
import { checkedBaseUrl, DEFAULT_OPENAI_BASE_URL, postJson } from './openai-http.js';

export interface ChatMessage {
  readonly type: 'SYSTEM' | 'USER' | 'AI';
  readonly content: string;
}

/** plugin-ai's ChatConfiguration, read from the task's `configuration`. */
export interface ChatSettings {
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly seed?: number;
  readonly maxToken?: number;
  readonly thinkingEnabled: boolean;
  readonly thinkingBudgetTokens?: number;
  /** Whether `responseFormat` was given at all (Anthropic refuses it even as TEXT). */
  readonly responseFormatSet: boolean;
  readonly json: boolean;
  readonly jsonSchema?: Record<string, unknown>;
  readonly jsonSchemaDescription?: string;
  readonly strictJson: boolean;
}

/** What every provider answers, in langchain4j's terms. */
export interface ChatAnswer {
  readonly text: string | undefined;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly totalTokens?: number;
  readonly finishReason: string | undefined;
}

type Provider = Record<string, unknown>;

/** plugin-ai's provider types and their langchain4j-era aliases. */
const PROVIDERS = ['OpenAI', 'DeepSeek', 'HuggingFace', 'MistralAI', 'Anthropic', 'GoogleGemini', 'Ollama'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export function providerName(type: string): ProviderName | undefined {
  for (const name of PROVIDERS)
    if (type === `io.kestra.plugin.ai.provider.${name}` || type === `io.kestra.plugin.langchain4j.provider.${name}`) return name;
  return undefined;
}

export const SUPPORTED_PROVIDERS = PROVIDERS.map((name) => `io.kestra.plugin.ai.provider.${name}`);

function text(provider: Provider, name: string): string | undefined {
  const value = provider[name];
  if (value === undefined || value === null) return undefined;
  const s = String(value);
  return s.trim() === '' ? undefined : s;
}

function requiredText(provider: Provider, name: string): string {
  const value = text(provider, name);
  if (value === undefined) throw new TaskError('INVALID_PROPERTY', `Missing required property \`provider.${name}\``);
  return value;
}

/** A secret the provider holds: registered as sensitive before anything else can show it. */
function secret(ctx: TaskRunContext, provider: Provider, name: string, required: boolean): string | undefined {
  const value = text(provider, name);
  if (value !== undefined) ctx.sensitive(value);
  if (required && value === undefined) throw new TaskError('INVALID_PROPERTY', `Missing required property \`provider.${name}\``);
  return value;
}

function numberOf(provider: Provider, name: string): number | undefined {
  const value = provider[name];
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new TaskError('INVALID_PROPERTY', `Invalid \`provider.${name}\`: expected a number`);
  return n;
}

function setIfDefined(target: Record<string, unknown>, field: string, value: unknown): void {
  if (value !== undefined) target[field] = value;
}

function firstSystem(messages: readonly ChatMessage[]): string | undefined {
  return messages.find((m) => m.type === 'SYSTEM')?.content;
}

const history = (messages: readonly ChatMessage[]): ChatMessage[] => messages.filter((m) => m.type !== 'SYSTEM');

function numberField(record: Record<string, unknown> | undefined, name: string): number | undefined {
  const value = record?.[name];
  return typeof value === 'number' ? value : undefined;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** langchain4j's TokenUsage(input, output): the total is the sum when the vendor gives none. */
function sum(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
}

// ---------------------------------------------------------------- OpenAI-compliant and Mistral

/** The default base URLs of plugin-ai's OpenAICompliantProvider subclasses (OpenAI's: the env). */
const OPENAI_COMPLIANT_BASE_URLS: Partial<Record<ProviderName, string>> = {
  DeepSeek: 'https://api.deepseek.com/v1',
  HuggingFace: 'https://router.huggingface.co/v1',
  MistralAI: 'https://api.mistral.ai/v1',
};

/** langchain4j's FinishReason for an OpenAI/Mistral `finish_reason`. */
function openAiFinishReason(value: unknown): string | undefined {
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

async function chatOpenAiStyle(
  ctx: TaskRunContext,
  name: ProviderName,
  provider: Provider,
  messages: readonly ChatMessage[],
  settings: ChatSettings,
): Promise<ChatAnswer> {
  const mistral = name === 'MistralAI';
  if (settings.topK !== undefined)
    throw new TaskError('INVALID_PROPERTY', `${mistral ? 'Mistral' : 'OpenAI'} models do not support setting the topK parameter.`);
  const apiKey = secret(ctx, provider, 'apiKey', true);
  const modelName = requiredText(provider, 'modelName');
  const configured = text(provider, 'baseUrl');
  let baseUrl: string;
  if (configured !== undefined) baseUrl = checkedBaseUrl(configured, 'provider.baseUrl');
  else if (name === 'OpenAI') {
    // pebbleflow's addition: the OpenAI SDKs' OPENAI_BASE_URL, so one variable points every OpenAI task elsewhere.
    const fromEnv = ctx.env.OPENAI_BASE_URL;
    baseUrl =
      fromEnv !== undefined && fromEnv.trim() !== '' ? checkedBaseUrl(fromEnv, 'OPENAI_BASE_URL (environment)') : DEFAULT_OPENAI_BASE_URL;
  } else baseUrl = OPENAI_COMPLIANT_BASE_URLS[name] ?? DEFAULT_OPENAI_BASE_URL;

  // langchain4j puts the system message first, then the history in order.
  const ordered = [...messages.filter((m) => m.type === 'SYSTEM'), ...history(messages)];
  const body: Record<string, unknown> = {
    model: modelName,
    messages: ordered.map((m) => ({ role: m.type === 'AI' ? 'assistant' : m.type.toLowerCase(), content: m.content })),
  };
  setIfDefined(body, 'temperature', settings.temperature);
  setIfDefined(body, 'top_p', settings.topP);
  setIfDefined(body, mistral ? 'random_seed' : 'seed', settings.seed);
  // langchain4j: OpenAiChatModel sends maxCompletionTokens, MistralAiChatModel max_tokens.
  setIfDefined(body, mistral ? 'max_tokens' : 'max_completion_tokens', settings.maxToken);
  if (settings.json) {
    const schema = settings.jsonSchema;
    if (schema === undefined) body.response_format = { type: 'json_object' };
    else if (mistral) body.response_format = { type: 'json_schema', json_schema: { name: 'output', strict: settings.strictJson, schema } };
    else
      body.response_format = {
        type: 'json_schema',
        json_schema: {
          name: 'JsonSchema',
          strict: settings.strictJson,
          schema,
          ...(settings.jsonSchemaDescription !== undefined ? { description: settings.jsonSchemaDescription } : {}),
        },
      };
  } else if (mistral) body.response_format = { type: 'text' };

  const answer = await postJson(ctx, {
    url: `${baseUrl}/chat/completions`,
    headers: { authorization: `Bearer ${apiKey ?? ''}` },
    secret: apiKey,
    body,
  });
  const choice = asObject(Array.isArray(answer.choices) ? answer.choices[0] : undefined);
  const message = asObject(choice?.message);
  const usage = asObject(answer.usage);
  return {
    text: typeof message?.content === 'string' ? message.content : undefined,
    inputTokens: numberField(usage, 'prompt_tokens'),
    outputTokens: numberField(usage, 'completion_tokens'),
    totalTokens: numberField(usage, 'total_tokens'),
    finishReason: openAiFinishReason(choice?.finish_reason),
  };
}

// ---------------------------------------------------------------- Anthropic

const ANTHROPIC_BASE_URL = 'https://api.anthropic.com/v1';
const ANTHROPIC_VERSION = '2023-06-01';
/** langchain4j AnthropicChatModel's max_tokens when none is configured. */
const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

function anthropicFinishReason(value: unknown): string | undefined {
  switch (value) {
    case undefined:
    case null:
      return undefined;
    case 'end_turn':
    case 'stop_sequence':
      return 'STOP';
    case 'max_tokens':
      return 'LENGTH';
    case 'tool_use':
      return 'TOOL_EXECUTION';
    default:
      return 'OTHER';
  }
}

async function chatAnthropic(
  ctx: TaskRunContext,
  provider: Provider,
  messages: readonly ChatMessage[],
  settings: ChatSettings,
): Promise<ChatAnswer> {
  const apiKey = secret(ctx, provider, 'apiKey', true);
  const modelName = requiredText(provider, 'modelName');
  if (settings.seed !== undefined) throw new TaskError('INVALID_PROPERTY', 'Anthropic models do not support setting the seed.');
  if (settings.responseFormatSet)
    throw new TaskError('INVALID_PROPERTY', 'Anthropic models do not support configuring the response format.');
  const providerMaxTokens = numberOf(provider, 'maxTokens');
  if (
    settings.thinkingEnabled &&
    settings.thinkingBudgetTokens !== undefined &&
    providerMaxTokens !== undefined &&
    settings.thinkingBudgetTokens > providerMaxTokens
  )
    throw new TaskError(
      'INVALID_PROPERTY',
      '`max_tokens` must be greater than `thinking.budget_tokens` for thinking-enabled Anthropic models.',
    );
  const configured = text(provider, 'baseUrl');
  const baseUrl = configured !== undefined ? checkedBaseUrl(configured, 'provider.baseUrl') : ANTHROPIC_BASE_URL;

  const body: Record<string, unknown> = {
    model: modelName,
    messages: history(messages).map((m) => ({
      role: m.type === 'AI' ? 'assistant' : 'user',
      content: [{ type: 'text', text: m.content }],
    })),
  };
  const system = firstSystem(messages);
  if (system !== undefined) body.system = [{ type: 'text', text: system }];
  body.max_tokens = settings.maxToken ?? providerMaxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS;
  body.stream = false;
  setIfDefined(body, 'temperature', settings.temperature);
  setIfDefined(body, 'top_p', settings.topP);
  setIfDefined(body, 'top_k', settings.topK);
  if (settings.thinkingEnabled)
    body.thinking = {
      type: 'enabled',
      ...(settings.thinkingBudgetTokens !== undefined ? { budget_tokens: settings.thinkingBudgetTokens } : {}),
    };

  const answer = await postJson(ctx, {
    url: `${baseUrl}/messages`,
    headers: { 'x-api-key': apiKey ?? '', 'anthropic-version': ANTHROPIC_VERSION },
    secret: apiKey,
    body,
  });
  const blocks = Array.isArray(answer.content) ? answer.content.map(asObject) : [];
  const texts = blocks.filter((b) => b?.type === 'text' && typeof b.text === 'string').map((b) => b!.text as string);
  const usage = asObject(answer.usage);
  const inputTokens = numberField(usage, 'input_tokens');
  const outputTokens = numberField(usage, 'output_tokens');
  return {
    text: texts.length > 0 ? texts.join('\n') : undefined,
    inputTokens,
    outputTokens,
    totalTokens: sum(inputTokens, outputTokens),
    finishReason: anthropicFinishReason(answer.stop_reason),
  };
}

// ---------------------------------------------------------------- Google Gemini

const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

function geminiFinishReason(value: unknown): string | undefined {
  switch (value) {
    case undefined:
    case null:
      return undefined;
    case 'STOP':
      return 'STOP';
    case 'MAX_TOKENS':
      return 'LENGTH';
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'RECITATION':
    case 'IMAGE_RECITATION':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'SPII':
    case 'SAFETY':
    case 'LANGUAGE':
      return 'CONTENT_FILTER';
    default:
      return 'OTHER';
  }
}

const GEMINI_TYPES: Record<string, string> = {
  string: 'STRING',
  number: 'NUMBER',
  integer: 'INTEGER',
  boolean: 'BOOLEAN',
  array: 'ARRAY',
  object: 'OBJECT',
  null: 'NULL',
};

/** Whether langchain4j's SchemaMapper can type this schema (no references, no definitions). */
function geminiMappable(schema: unknown): boolean {
  const node = asObject(schema);
  if (node === undefined) return true;
  if ('$ref' in node || '$defs' in node || 'definitions' in node) return false;
  return Object.values(node).every((v) => (Array.isArray(v) ? v.every(geminiMappable) : geminiMappable(v)));
}

/** langchain4j's SchemaMapper: a JSON Schema as Gemini's typed `responseSchema`. */
function geminiSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(schema.anyOf)) {
    if (typeof schema.description === 'string') out.description = schema.description;
    out.anyOf = schema.anyOf.map((s) => geminiSchema(asObject(s) ?? {}));
    return out;
  }
  const type = typeof schema.type === 'string' ? schema.type : Array.isArray(schema.enum) ? 'string' : 'object';
  out.type = GEMINI_TYPES[type] ?? 'STRING';
  if (typeof schema.description === 'string') out.description = schema.description;
  if (Array.isArray(schema.enum)) out.enum = schema.enum.map(String);
  if (type === 'object') {
    const properties = asObject(schema.properties);
    if (properties !== undefined)
      out.properties = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, geminiSchema(asObject(v) ?? {})]));
    if (Array.isArray(schema.required)) out.required = schema.required.map(String);
  }
  if (type === 'array' && asObject(schema.items) !== undefined) out.items = geminiSchema(asObject(schema.items)!);
  return out;
}

async function chatGemini(
  ctx: TaskRunContext,
  provider: Provider,
  messages: readonly ChatMessage[],
  settings: ChatSettings,
): Promise<ChatAnswer> {
  const apiKey = secret(ctx, provider, 'apiKey', false);
  const modelName = requiredText(provider, 'modelName');
  if (apiKey === undefined)
    throw new TaskError(
      'INVALID_PROPERTY',
      text(provider, 'clientPem') !== undefined
        ? 'GoogleGemini certificate-based authentication (`clientPem`) is not supported by pebbleflow: set `apiKey`'
        : 'GoogleGemini requires either `apiKey` or `clientPem` (optionally with `caPem`) for certificate-based authentication.',
    );
  const configured = text(provider, 'baseUrl');
  const baseUrl = configured !== undefined ? checkedBaseUrl(configured, 'provider.baseUrl') : GEMINI_BASE_URL;

  const body: Record<string, unknown> = {
    contents: history(messages).map((m) => ({ role: m.type === 'AI' ? 'model' : 'user', parts: [{ text: m.content }] })),
  };
  const system = messages.filter((m) => m.type === 'SYSTEM');
  // langchain4j builds the system instruction as a "model" content.
  if (system.length > 0) body.systemInstruction = { role: 'model', parts: system.map((m) => ({ text: m.content })) };
  const generationConfig: Record<string, unknown> = { candidateCount: 1 };
  setIfDefined(generationConfig, 'maxOutputTokens', settings.maxToken);
  generationConfig.responseMimeType = settings.json ? 'application/json' : 'text/plain';
  if (settings.json && settings.jsonSchema !== undefined) {
    if (geminiMappable(settings.jsonSchema)) generationConfig.responseSchema = geminiSchema(settings.jsonSchema);
    else generationConfig.responseJsonSchema = settings.jsonSchema;
  }
  setIfDefined(generationConfig, 'temperature', settings.temperature);
  setIfDefined(generationConfig, 'topK', settings.topK);
  setIfDefined(generationConfig, 'seed', settings.seed);
  setIfDefined(generationConfig, 'topP', settings.topP);
  // plugin-ai: thinking is switched off (budget 0) unless asked for.
  const budget = !settings.thinkingEnabled && settings.thinkingBudgetTokens === undefined ? 0 : settings.thinkingBudgetTokens;
  generationConfig.thinkingConfig = {
    includeThoughts: settings.thinkingEnabled,
    ...(budget !== undefined ? { thinkingBudget: budget } : {}),
  };
  body.generationConfig = generationConfig;

  const answer = await postJson(ctx, {
    url: `${baseUrl}/models/${encodeURIComponent(modelName)}:generateContent`,
    headers: { 'x-goog-api-key': apiKey },
    secret: apiKey,
    body,
  });
  const candidate = asObject(Array.isArray(answer.candidates) ? answer.candidates[0] : undefined);
  const parts = asObject(candidate?.content)?.parts;
  const texts = (Array.isArray(parts) ? parts.map(asObject) : [])
    .filter((p) => p !== undefined && typeof p.text === 'string' && p.thought !== true)
    .map((p) => p!.text as string);
  const usage = asObject(answer.usageMetadata);
  return {
    text: texts.length > 0 ? texts.join('') : undefined,
    inputTokens: numberField(usage, 'promptTokenCount'),
    outputTokens: numberField(usage, 'candidatesTokenCount'),
    totalTokens: numberField(usage, 'totalTokenCount'),
    finishReason: geminiFinishReason(candidate?.finishReason),
  };
}

// ---------------------------------------------------------------- Ollama

function ollamaFinishReason(answer: Record<string, unknown>): string | undefined {
  const message = asObject(answer.message);
  if (Array.isArray(message?.tool_calls) && message.tool_calls.length > 0) return 'TOOL_EXECUTION';
  switch (answer.done_reason) {
    case undefined:
    case null:
      return undefined;
    case 'stop':
      return 'STOP';
    case 'length':
      return 'LENGTH';
    default:
      return 'OTHER';
  }
}

async function chatOllama(
  ctx: TaskRunContext,
  provider: Provider,
  messages: readonly ChatMessage[],
  settings: ChatSettings,
): Promise<ChatAnswer> {
  const modelName = requiredText(provider, 'modelName');
  const endpoint = requiredText(provider, 'endpoint');
  // plugin-ai: baseUrl, when set, wins over endpoint.
  const configured = text(provider, 'baseUrl');
  const baseUrl = configured !== undefined ? checkedBaseUrl(configured, 'provider.baseUrl') : checkedBaseUrl(endpoint, 'provider.endpoint');

  const ordered = [...messages.filter((m) => m.type === 'SYSTEM'), ...history(messages)];
  const options: Record<string, unknown> = {};
  setIfDefined(options, 'temperature', settings.temperature);
  setIfDefined(options, 'top_k', settings.topK);
  setIfDefined(options, 'top_p', settings.topP);
  setIfDefined(options, 'seed', settings.seed);
  const body: Record<string, unknown> = {
    model: modelName,
    messages: ordered.map((m) => ({ role: m.type === 'AI' ? 'assistant' : m.type.toLowerCase(), content: m.content })),
    options,
  };
  if (settings.json) body.format = settings.jsonSchema ?? 'json';
  body.stream = false;
  if (settings.thinkingEnabled) body.think = true;

  const answer = await postJson(ctx, { url: `${baseUrl}/api/chat`, headers: {}, secret: undefined, body });
  const message = asObject(answer.message);
  const inputTokens = numberField(answer, 'prompt_eval_count');
  const outputTokens = numberField(answer, 'eval_count');
  return {
    text: typeof message?.content === 'string' ? message.content : undefined,
    inputTokens,
    outputTokens,
    totalTokens: sum(inputTokens, outputTokens),
    finishReason: ollamaFinishReason(answer),
  };
}

/** One chat exchange with the provider `name`. */
export async function chatWith(
  ctx: TaskRunContext,
  name: ProviderName,
  provider: Provider,
  messages: readonly ChatMessage[],
  settings: ChatSettings,
): Promise<ChatAnswer> {
  switch (name) {
    case 'Anthropic':
      return chatAnthropic(ctx, provider, messages, settings);
    case 'GoogleGemini':
      return chatGemini(ctx, provider, messages, settings);
    case 'Ollama':
      return chatOllama(ctx, provider, messages, settings);
    default:
      return chatOpenAiStyle(ctx, name, provider, messages, settings);
  }
}
