/**
 * The AI chat family (plugin-openai's ChatCompletion, plugin-ai's completion.ChatCompletion): the
 * definitions only; `run` imports the implementation on first use.
 */
import { defineTask } from '../definition.js';
import type { TaskFamily } from '../bundled.js';

const openAiMessage = {
  type: 'object',
  properties: { role: { type: 'string' }, content: { type: 'string' } },
  required: ['role'],
};
const openAiFunction = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    parameters: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          type: { type: 'string' },
          description: { type: 'string' },
          enumValues: { type: 'array', items: { type: 'string' } },
          required: { type: ['boolean', 'string'] },
        },
        required: ['name', 'type'],
      },
    },
  },
  required: ['name'],
};

export const openAiChatCompletionTask = defineTask({
  type: 'io.kestra.plugin.openai.ChatCompletion',
  title: 'Send a prompt or messages to an OpenAI-compatible Chat Completions API (base URL from OPENAI_BASE_URL).',
  properties: {
    apiKey: { kind: 'string', required: true, description: 'The API key (a secret: masked everywhere).' },
    model: { kind: 'string', required: true, description: 'The model id, e.g. gpt-4o.' },
    prompt: { kind: 'string', description: 'Sent as a user message after `messages`.' },
    messages: { kind: 'list', schema: { type: 'array', items: openAiMessage }, description: 'Messages { role, content }.' },
    functions: { kind: 'list', schema: { type: 'array', items: openAiFunction }, description: 'Functions the model may call (as tools).' },
    functionCall: { kind: 'string', default: 'auto', description: 'auto, none, or the name of one of `functions`.' },
    temperature: { kind: 'number', default: 1.0 },
    topP: { kind: 'number' },
    n: { kind: 'integer', default: 1 },
    stop: { kind: 'list', schema: { type: 'array', items: { type: 'string' } } },
    maxTokens: { kind: 'integer', description: 'Sent as max_completion_tokens.' },
    presencePenalty: { kind: 'number' },
    frequencyPenalty: { kind: 'number' },
    logitBias: { kind: 'map' },
    user: { kind: 'string' },
    jsonResponseSchema: { kind: 'string', description: 'A JSON Schema (as text) the answer must follow (response_format json_schema).' },
    promptCaching: { kind: 'boolean' },
    clientTimeout: {
      kind: 'integer',
      default: 10,
      dynamic: false,
      description: 'Accepted; as in Kestra, the task `timeout` bounds the call.',
    },
  },
  outputs: {
    id: { kind: 'string' },
    object: { kind: 'string' },
    model: { kind: 'string' },
    choices: { kind: 'list' },
    usage: { kind: 'map' },
  },
  async run(ctx) {
    return (await import('./chat.js')).runOpenAiChatCompletion(ctx);
  },
});

export const aiChatCompletionTask = defineTask({
  type: 'io.kestra.plugin.ai.completion.ChatCompletion',
  aliases: ['io.kestra.plugin.langchain4j.ChatCompletion', 'io.kestra.plugin.langchain4j.completion.ChatCompletion'],
  title:
    'Chat with a model through plugin-ai’s OpenAI, DeepSeek, HuggingFace, MistralAI, Anthropic, GoogleGemini or Ollama provider (OpenAI’s baseUrl for any compatible server).',
  properties: {
    provider: {
      kind: 'map',
      required: true,
      schema: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          apiKey: { type: 'string' },
          modelName: { type: 'string' },
          baseUrl: { type: 'string' },
          endpoint: { type: 'string', description: 'Ollama: the server, e.g. http://localhost:11434.' },
          maxTokens: { type: ['integer', 'string'], description: 'Anthropic: max_tokens when configuration.maxToken is not set.' },
        },
        required: ['type'],
      },
    },
    messages: {
      kind: 'list',
      required: true,
      schema: {
        type: 'array',
        items: { type: 'object', properties: { type: { type: 'string' }, content: { type: 'string' } } },
      },
    },
    configuration: { kind: 'map' },
    tools: { kind: 'any', dynamic: false, description: 'Not supported locally (refused when not empty).' },
    guardrails: { kind: 'any', dynamic: false, description: 'Accepted; not evaluated locally.' },
    observability: { kind: 'any', dynamic: false, description: 'Accepted; not sent anywhere locally.' },
  },
  outputs: {
    textOutput: { kind: 'string' },
    jsonOutput: { kind: 'map' },
    tokenUsage: { kind: 'map' },
    finishReason: { kind: 'string' },
    requestDuration: { kind: 'integer' },
  },
  async run(ctx) {
    return (await import('./chat.js')).runAiChatCompletion(ctx);
  },
});

export const aiFamily: TaskFamily = {
  name: 'ai',
  description: 'Chat completions (plugin-openai; plugin-ai with OpenAI-compatible, Mistral, Anthropic, Gemini and Ollama providers)',
  tasks: [openAiChatCompletionTask, aiChatCompletionTask],
};
