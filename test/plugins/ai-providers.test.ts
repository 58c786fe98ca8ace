/**
 * plugin-ai's ChatCompletion with the Anthropic, GoogleGemini, Ollama, MistralAI and DeepSeek
 * providers, against one loopback server that plays each vendor: it checks the request as the
 * vendor does (path, auth header, required fields) and answers in the vendor's response shape. The
 * flows are the providers' @Example flows (plugin-ai provider/*.java) pointed at the server.
 */
import { parseFlow } from '../../src/flow/loader.js';
import { runFlow } from '../../src/runner/runner.js';
import type { RunReport } from '../../src/runner/types.js';
import { startServer, type TestServer } from '../support/http.js';

const KEY = `key-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const b64 = (text: string): string => Buffer.from(text).toString('base64');

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res, body) => {
    const send = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const request = JSON.parse(body) as Record<string, unknown>;
    const url = req.url ?? '';
    if (req.method !== 'POST') return send(405, { error: 'method' });
    if (url === '/anthropic/v1/messages') {
      // As Anthropic does: the key in x-api-key, the version header and max_tokens are required.
      if (req.headers['x-api-key'] !== KEY)
        return send(401, {
          type: 'error',
          error: { type: 'authentication_error', message: `invalid x-api-key ${String(req.headers['x-api-key'])}` },
        });
      if (req.headers['anthropic-version'] !== '2023-06-01')
        return send(400, { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version header is required' } });
      if (typeof request.max_tokens !== 'number')
        return send(400, { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
      const truncated = request.max_tokens < 10;
      return send(200, {
        id: 'msg_01',
        type: 'message',
        role: 'assistant',
        model: request.model,
        content: [
          { type: 'text', text: 'Paris is the capital' },
          { type: 'text', text: truncated ? 'of' : 'of France.' },
        ],
        stop_reason: truncated ? 'max_tokens' : 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 25, output_tokens: 9 },
      });
    }
    const gemini = /^\/gemini\/v1beta\/models\/([^/:]+):generateContent$/.exec(url);
    if (gemini !== null) {
      if (req.headers['x-goog-api-key'] !== KEY)
        return send(400, { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } });
      const config = request.generationConfig as Record<string, unknown>;
      const json = config.responseMimeType === 'application/json';
      return send(200, {
        candidates: [
          {
            content: {
              role: 'model',
              parts: json
                ? [{ text: '{"category":"BILLING",' }, { text: '"priority":"HIGH"}' }]
                : [{ text: 'thinking about it', thought: true }, { text: 'Paris.' }],
            },
            finishReason: json ? 'STOP' : 'SAFETY',
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 4, totalTokenCount: 17 },
        modelVersion: gemini[1],
      });
    }
    if (url === '/ollama/api/chat') {
      if (request.stream !== false) return send(400, { error: 'this test server only answers stream: false' });
      const format = request.format;
      return send(200, {
        model: request.model,
        created_at: '2025-01-01T00:00:00Z',
        message: { role: 'assistant', content: format === undefined ? 'Bonjour !' : '{"name":"John","birth":"2000-01-01"}' },
        done: true,
        done_reason: format === undefined ? 'length' : 'stop',
        prompt_eval_count: 30,
        eval_count: 5,
      });
    }
    if (url === '/mistral/v1/chat/completions' || url === '/deepseek/v1/chat/completions') {
      if (req.headers.authorization !== `Bearer ${KEY}`) return send(401, { detail: 'Unauthorized' });
      return send(200, {
        id: 'cmpl-1',
        object: 'chat.completion',
        model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'Salut.' }, finish_reason: 'model_length' }],
        usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 },
      });
    }
    return send(404, { error: { message: `No route ${url}` } });
  });
});
afterAll(() => server.close());

async function run(yaml: string): Promise<RunReport> {
  return runFlow(parseFlow(yaml), { env: { SECRET_AI_KEY: b64(KEY) } });
}

function leakFree(report: RunReport): void {
  const all = JSON.stringify(report);
  expect(all).not.toContain(KEY);
  expect(all).not.toContain(KEY.slice(0, 14));
}

function lastSent(): { url: string; headers: Record<string, unknown>; body: Record<string, unknown> } {
  const last = server.requests.at(-1)!;
  return { url: last.url, headers: last.headers, body: JSON.parse(last.body) as Record<string, unknown> };
}

const flow = (provider: string, configuration: string, messages: string): string => `id: chat_completion
namespace: company.ai
tasks:
  - id: chat_completion
    type: io.kestra.plugin.ai.completion.ChatCompletion
    provider:
${provider}
${configuration}
    messages:
${messages}
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.chat_completion.textOutput ?? outputs.chat_completion.jsonOutput }}"
`;

const SYSTEM_USER = `      - type: SYSTEM
        content: You are a helpful assistant, answer concisely.
      - type: USER
        content: What is the capital of France?`;

describe('Anthropic (Messages API)', () => {
  test('the example: system apart, content blocks, max_tokens 1024 by default, end_turn is STOP', async () => {
    const report = await run(
      flow(
        `      type: io.kestra.plugin.ai.provider.Anthropic
      apiKey: "{{ secret('AI_KEY') }}"
      modelName: claude-3-haiku-20240307
      baseUrl: ${server.origin}/anthropic/v1`,
        `    configuration:
      temperature: 0.3
      topK: 40
      thinkingEnabled: true
      thinkingBudgetTokens: 512`,
        `${SYSTEM_USER}
      - type: AI
        content: Paris.
      - type: USER
        content: And why?`,
      ),
    );
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.chat_completion).toMatchObject({
      textOutput: 'Paris is the capital\nof France.',
      tokenUsage: { inputTokenCount: 25, outputTokenCount: 9, totalTokenCount: 34 },
      finishReason: 'STOP',
    });
    const sent = lastSent();
    expect(sent.url).toBe('/anthropic/v1/messages');
    expect(sent.headers['x-api-key']).toBe(KEY);
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: 'claude-3-haiku-20240307',
      system: [{ type: 'text', text: 'You are a helpful assistant, answer concisely.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'What is the capital of France?' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Paris.' }] },
        { role: 'user', content: [{ type: 'text', text: 'And why?' }] },
      ],
      max_tokens: 1024,
      stream: false,
      temperature: 0.3,
      top_k: 40,
      thinking: { type: 'enabled', budget_tokens: 512 },
    });
    expect(report.logs.some((l) => l.taskId === 'log' && l.message.includes('of France.'))).toBe(true);
    leakFree(report);
  });

  test('configuration.maxToken is max_tokens; max_tokens stop_reason is LENGTH', async () => {
    const report = await run(
      flow(
        `      type: io.kestra.plugin.langchain4j.provider.Anthropic
      apiKey: "{{ secret('AI_KEY') }}"
      modelName: claude-sonnet-4-5
      maxTokens: 4096
      baseUrl: ${server.origin}/anthropic/v1`,
        `    configuration:
      maxToken: 5`,
        `      - type: USER
        content: Hi`,
      ),
    );
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.chat_completion).toMatchObject({ textOutput: 'Paris is the capital\nof', finishReason: 'LENGTH' });
    expect(lastSent().body).toMatchObject({ max_tokens: 5 });
    expect(lastSent().body).not.toHaveProperty('system');
  });

  test('plugin-ai refuses seed and responseFormat for Anthropic, before any request', async () => {
    const before = server.requests.length;
    const provider = `      type: io.kestra.plugin.ai.provider.Anthropic\n      apiKey: "{{ secret('AI_KEY') }}"\n      modelName: m\n      baseUrl: ${server.origin}/anthropic/v1`;
    const seed = await run(flow(provider, '    configuration:\n      seed: 1', '      - type: USER\n        content: Hi'));
    expect(seed.taskRuns[0]?.error).toBe('Anthropic models do not support setting the seed.');
    const format = await run(
      flow(provider, '    configuration:\n      responseFormat:\n        type: JSON', '      - type: USER\n        content: Hi'),
    );
    expect(format.taskRuns[0]?.error).toBe('Anthropic models do not support configuring the response format.');
    expect(server.requests).toHaveLength(before);
  });

  test('a refused key: the vendor’s message, the key (quoted back) masked everywhere', async () => {
    const wrong = `sk-ant-${Math.random().toString(36).slice(2)}zz`;
    const report = await run(
      flow(
        `      type: io.kestra.plugin.ai.provider.Anthropic\n      apiKey: ${wrong}\n      modelName: m\n      baseUrl: ${server.origin}/anthropic/v1`,
        '',
        '      - type: USER\n        content: Hi',
      ),
    );
    expect(report.state).toBe('FAILED');
    expect(report.taskRuns[0]?.error).toBe(`Chat completion failed: 401 Unauthorized from ${server.origin}: invalid x-api-key ******`);
    expect(JSON.stringify(report)).not.toContain(wrong);
  });
});

describe('GoogleGemini (generateContent)', () => {
  test('the example: systemInstruction, roles user/model, generationConfig, thinking off, thoughts left out', async () => {
    const report = await run(
      flow(
        `      type: io.kestra.plugin.ai.provider.GoogleGemini
      apiKey: "{{ secret('AI_KEY') }}"
      modelName: gemini-2.5-flash
      baseUrl: ${server.origin}/gemini/v1beta`,
        `    configuration:
      temperature: 0.2
      topP: 0.9
      seed: 7
      maxToken: 256`,
        `${SYSTEM_USER}
      - type: AI
        content: Paris.
      - type: USER
        content: Sure?`,
      ),
    );
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.chat_completion).toMatchObject({
      textOutput: 'Paris.',
      tokenUsage: { inputTokenCount: 11, outputTokenCount: 4, totalTokenCount: 17 },
      finishReason: 'CONTENT_FILTER',
    });
    const sent = lastSent();
    expect(sent.url).toBe('/gemini/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.headers['x-goog-api-key']).toBe(KEY);
    expect(sent.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'What is the capital of France?' }] },
        { role: 'model', parts: [{ text: 'Paris.' }] },
        { role: 'user', parts: [{ text: 'Sure?' }] },
      ],
      systemInstruction: { role: 'model', parts: [{ text: 'You are a helpful assistant, answer concisely.' }] },
      generationConfig: {
        candidateCount: 1,
        maxOutputTokens: 256,
        responseMimeType: 'text/plain',
        temperature: 0.2,
        seed: 7,
        topP: 0.9,
        thinkingConfig: { includeThoughts: false, thinkingBudget: 0 },
      },
    });
    leakFree(report);
  });

  test('responseFormat JSON with a jsonSchema: Gemini’s typed responseSchema, jsonOutput', async () => {
    const report = await run(
      flow(
        `      type: io.kestra.plugin.ai.provider.GoogleGemini
      apiKey: "{{ secret('AI_KEY') }}"
      modelName: gemini-2.5-flash
      baseUrl: ${server.origin}/gemini/v1beta`,
        `    configuration:
      responseFormat:
        type: JSON
        jsonSchema:
          type: object
          required: ["category", "priority"]
          properties:
            category:
              type: string
              enum: ["ACCOUNT", "BILLING", "TECHNICAL", "GENERAL"]
            priority:
              type: string
              enum: ["LOW", "MEDIUM", "HIGH"]
            tags:
              type: array
              items:
                type: string`,
        `      - type: USER
        content: I was charged twice!`,
      ),
    );
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.chat_completion).toMatchObject({ jsonOutput: { category: 'BILLING', priority: 'HIGH' }, finishReason: 'STOP' });
    expect(report.outputs.chat_completion).not.toHaveProperty('textOutput');
    const config = lastSent().body.generationConfig as Record<string, unknown>;
    expect(config.responseMimeType).toBe('application/json');
    expect(config.responseSchema).toEqual({
      type: 'OBJECT',
      properties: {
        category: { type: 'STRING', enum: ['ACCOUNT', 'BILLING', 'TECHNICAL', 'GENERAL'] },
        priority: { type: 'STRING', enum: ['LOW', 'MEDIUM', 'HIGH'] },
        tags: { type: 'ARRAY', items: { type: 'STRING' } },
      },
      required: ['category', 'priority'],
    });
    expect(lastSent().body).not.toHaveProperty('systemInstruction');
  });

  test('a refused key fails with Google’s message; no key at all is plugin-ai’s error', async () => {
    const wrong = `AIza${Math.random().toString(36).slice(2)}`;
    const report = await run(
      flow(
        `      type: io.kestra.plugin.ai.provider.GoogleGemini\n      apiKey: ${wrong}\n      modelName: gemini-2.5-flash\n      baseUrl: ${server.origin}/gemini/v1beta`,
        '',
        '      - type: USER\n        content: Hi',
      ),
    );
    expect(report.taskRuns[0]?.error).toBe(
      `Chat completion failed: 400 Bad Request from ${server.origin}: API key not valid. Please pass a valid API key.`,
    );
    expect(JSON.stringify(report)).not.toContain(wrong);
    const none = await run(
      flow(
        `      type: io.kestra.plugin.ai.provider.GoogleGemini\n      modelName: gemini-2.5-flash`,
        '',
        '      - type: USER\n        content: Hi',
      ),
    );
    expect(none.taskRuns[0]?.error).toBe(
      'GoogleGemini requires either `apiKey` or `clientPem` (optionally with `caPem`) for certificate-based authentication.',
    );
  });
});

describe('Ollama (/api/chat)', () => {
  test('the example: endpoint, stream false, options, done_reason length is LENGTH, eval counts as tokens', async () => {
    const report = await run(
      flow(
        `      type: io.kestra.plugin.ai.provider.Ollama
      modelName: llama3
      endpoint: ${server.origin}/ollama`,
        `    configuration:
      temperature: 0.1
      topK: 20
      topP: 0.8
      seed: 3
      thinkingEnabled: true`,
        SYSTEM_USER,
      ),
    );
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.chat_completion).toMatchObject({
      textOutput: 'Bonjour !',
      tokenUsage: { inputTokenCount: 30, outputTokenCount: 5, totalTokenCount: 35 },
      finishReason: 'LENGTH',
    });
    const sent = lastSent();
    expect(sent.url).toBe('/ollama/api/chat');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: 'llama3',
      messages: [
        { role: 'system', content: 'You are a helpful assistant, answer concisely.' },
        { role: 'user', content: 'What is the capital of France?' },
      ],
      options: { temperature: 0.1, top_k: 20, top_p: 0.8, seed: 3 },
      stream: false,
      think: true,
    });
  });

  test('responseFormat JSON: the schema as format (or "json" without one); jsonOutput', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, birth: { type: 'string' } } };
    const report = await run(
      flow(
        `      type: io.kestra.plugin.langchain4j.provider.Ollama
      modelName: llama3
      endpoint: http://127.0.0.1:9
      baseUrl: ${server.origin}/ollama`,
        `    configuration:
      responseFormat:
        type: JSON
        jsonSchema: ${JSON.stringify(schema)}`,
        '      - type: USER\n        content: Hello, my name is John. I was born on January 1, 2000.',
      ),
    );
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.chat_completion).toMatchObject({ jsonOutput: { name: 'John', birth: '2000-01-01' }, finishReason: 'STOP' });
    expect(lastSent().body.format).toEqual(schema);
    const plain = await run(
      flow(
        `      type: io.kestra.plugin.ai.provider.Ollama\n      modelName: llama3\n      endpoint: ${server.origin}/ollama`,
        '    configuration:\n      responseFormat:\n        type: JSON',
        '      - type: USER\n        content: Hi',
      ),
    );
    expect(plain.state).toBe('SUCCESS');
    expect(lastSent().body.format).toBe('json');
  });
});

describe('MistralAI and DeepSeek (OpenAI-style chat completions)', () => {
  test('Mistral: random_seed, max_tokens, response_format text, Bearer key; model_length is OTHER', async () => {
    const report = await run(
      flow(
        `      type: io.kestra.plugin.ai.provider.MistralAI
      apiKey: "{{ secret('AI_KEY') }}"
      modelName: mistral-small-latest
      baseUrl: ${server.origin}/mistral/v1`,
        `    configuration:
      seed: 42
      maxToken: 100
      topP: 0.5`,
        SYSTEM_USER,
      ),
    );
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.chat_completion).toMatchObject({
      textOutput: 'Salut.',
      tokenUsage: { inputTokenCount: 8, outputTokenCount: 2, totalTokenCount: 10 },
      finishReason: 'OTHER',
    });
    const sent = lastSent();
    expect(sent.url).toBe('/mistral/v1/chat/completions');
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.body).toEqual({
      model: 'mistral-small-latest',
      messages: [
        { role: 'system', content: 'You are a helpful assistant, answer concisely.' },
        { role: 'user', content: 'What is the capital of France?' },
      ],
      top_p: 0.5,
      random_seed: 42,
      max_tokens: 100,
      response_format: { type: 'text' },
    });
    leakFree(report);
  });

  test('DeepSeek: OpenAI’s request (seed, max_completion_tokens); topK refused as plugin-ai does', async () => {
    const provider = `      type: io.kestra.plugin.ai.provider.DeepSeek\n      apiKey: "{{ secret('AI_KEY') }}"\n      modelName: deepseek-chat\n      baseUrl: ${server.origin}/deepseek/v1`;
    const report = await run(
      flow(provider, '    configuration:\n      seed: 1\n      maxToken: 64', '      - type: USER\n        content: Hi'),
    );
    expect(report.state).toBe('SUCCESS');
    expect(lastSent().url).toBe('/deepseek/v1/chat/completions');
    expect(lastSent().body).toEqual({
      model: 'deepseek-chat',
      messages: [{ role: 'user', content: 'Hi' }],
      seed: 1,
      max_completion_tokens: 64,
    });
    leakFree(report);
    const topK = await run(flow(provider, '    configuration:\n      topK: 5', '      - type: USER\n        content: Hi'));
    expect(topK.taskRuns[0]?.error).toBe('OpenAI models do not support setting the topK parameter.');
  });
});
