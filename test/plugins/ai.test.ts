/**
 * AI chat against a loopback OpenAI-compatible server (a real node http server that checks the key
 * and answers as the Chat Completions API does). The flows are plugin-openai's ChatCompletion
 * examples and plugin-ai's completion.ChatCompletion examples (ChatCompletion.java @Example), with
 * the assertions of their tests where a fixed answer allows (ChatCompletionTest.java).
 */
import { parseFlow } from '../../src/flow/loader.js';
import { runFlow } from '../../src/runner/runner.js';
import type { RunReport } from '../../src/runner/types.js';
import { startServer, type TestServer } from '../support/http.js';

const KEY = `sk-test-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const b64 = (text: string): string => Buffer.from(text).toString('base64');

let server: TestServer;
beforeAll(async () => {
  server = await startServer((req, res, body) => {
    const send = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (req.url !== '/v1/chat/completions' || req.method !== 'POST') return send(404, { error: { message: `No route ${req.url}` } });
    const auth = req.headers.authorization ?? '';
    // As OpenAI does: the refused key is quoted back in the error.
    if (auth !== `Bearer ${KEY}`)
      return send(401, {
        error: { message: `Incorrect API key provided: ${auth.replace(/^Bearer /, '')}.`, type: 'invalid_request_error' },
      });
    const request = JSON.parse(body) as {
      model: string;
      messages: { role: string; content: string }[];
      tools?: { function: { name: string } }[];
      tool_choice?: unknown;
      response_format?: { type: string };
    };
    const last = request.messages.at(-1)?.content ?? '';
    const toolName =
      typeof request.tool_choice === 'object' ? (request.tool_choice as { function: { name: string } }).function.name : undefined;
    const message =
      toolName !== undefined
        ? {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: {
                  name: toolName,
                  arguments: JSON.stringify({ response_urgency: 'reply_later', response_text: `Thanks! (${last})` }),
                },
              },
            ],
          }
        : request.response_format?.type === 'json_schema' || request.response_format?.type === 'json_object'
          ? { role: 'assistant', content: JSON.stringify({ name: 'John', birth: '2000-01-01' }) }
          : { role: 'assistant', content: /capital of France/i.test(last) ? 'The capital of France is Paris.' : `Echo: ${last}` };
    send(200, {
      id: 'chatcmpl-123',
      object: 'chat.completion',
      created: 1700000000,
      model: `${request.model}-2024-08-06`,
      choices: [{ index: 0, message, logprobs: null, finish_reason: toolName !== undefined ? 'tool_calls' : 'stop' }],
      usage: { prompt_tokens: 14, completion_tokens: 7, total_tokens: 21 },
    });
  });
});
afterAll(() => server.close());

const env = (): Record<string, string> => ({ OPENAI_BASE_URL: `${server.origin}/v1`, SECRET_OPENAI_API_KEY: b64(KEY) });

async function run(yaml: string, options: { env?: Record<string, string>; inputs?: Record<string, unknown> } = {}): Promise<RunReport> {
  return runFlow(parseFlow(yaml), { env: options.env ?? env(), ...(options.inputs === undefined ? {} : { inputs: options.inputs }) });
}

function leakFree(report: RunReport): void {
  expect(JSON.stringify(report)).not.toContain(KEY);
  expect(JSON.stringify(report)).not.toContain(KEY.slice(0, 12));
}

describe('io.kestra.plugin.openai.ChatCompletion', () => {
  test('the first example: a prompt input, the answer logged (runPrompt: Paris)', async () => {
    const report = await run(
      `id: openai_chat
namespace: company.team
inputs:
  - id: prompt
    type: STRING
    defaults: what is the capital of France?
tasks:
  - id: completion
    type: io.kestra.plugin.openai.ChatCompletion
    apiKey: "{{ secret('OPENAI_API_KEY') }}"
    model: gpt-4o
    prompt: "{{ inputs.prompt }}"
  - id: log_output
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.completion.choices[0].message.content }}"
`,
    );
    expect(report.state).toBe('SUCCESS');
    const outputs = report.outputs.completion as Record<string, unknown>;
    expect(outputs).toEqual({
      id: 'chatcmpl-123',
      object: 'chat.completion',
      model: 'gpt-4o-2024-08-06',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'The capital of France is Paris.' }, logprobs: null, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 14, completion_tokens: 7, total_tokens: 21 },
    });
    expect(report.logs.some((l) => l.taskId === 'log_output' && l.message.includes('Paris'))).toBe(true);
    // The request the Java SDK builds: the prompt as a user message, temperature 1.0 and n 1 by default, the key as a bearer token.
    const sent = JSON.parse(server.requests.at(-1)!.body) as Record<string, unknown>;
    expect(sent).toEqual({
      messages: [{ role: 'user', content: 'what is the capital of France?' }],
      model: 'gpt-4o',
      temperature: 1,
      n: 1,
    });
    leakFree(report);
  });

  test('messages then prompt, with maxTokens, stop and user (runMessagesWithPrompt)', async () => {
    const report = await run(`id: c
namespace: company.team
tasks:
  - id: prompt
    type: io.kestra.plugin.openai.ChatCompletion
    apiKey: "{{ secret('OPENAI_API_KEY') }}"
    model: gpt-4o
    messages:
      - role: user
        content: what is the capital of France?
      - role: assistant
        content: The capital of France is Paris.
      - role: SYSTEM
        content: Be brief.
    prompt: and the capital of germany?
    maxTokens: 15
    temperature: 0.2
    stop: ["\\n\\n"]
    user: me
  - id: use_output
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.prompt.choices | jq('.[].message.content') | first }}"
`);
    expect(report.state).toBe('SUCCESS');
    expect(report.logs.find((l) => l.taskId === 'use_output')?.message).toBe('Echo: and the capital of germany?');
    const sent = JSON.parse(server.requests.at(-1)!.body) as Record<string, unknown>;
    expect(sent.messages).toEqual([
      { role: 'user', content: 'what is the capital of France?' },
      { role: 'assistant', content: 'The capital of France is Paris.' },
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'and the capital of germany?' },
    ]);
    expect(sent).toMatchObject({ max_completion_tokens: 15, temperature: 0.2, stop: ['\n\n'], user: 'me' });
  });

  test('functions become tools, functionCall forces one; the third example reads the arguments with jq', async () => {
    const report = await run(
      `id: openai_chat
namespace: company.team
inputs:
  - id: prompt
    type: STRING
    defaults: I love your product and would purchase it again!
tasks:
  - id: prioritize_response
    type: io.kestra.plugin.openai.ChatCompletion
    apiKey: "{{ secret('OPENAI_API_KEY') }}"
    model: gpt-4o
    messages:
      - role: user
        content: "{{ inputs.prompt }}"
    functions:
      - name: respond_to_review
        description: Given the customer product review provided as input, determines how urgently a reply is required and then provides suggested response text.
        parameters:
          - name: response_urgency
            type: string
            description: How urgently this customer review needs a reply.
            required: true
            enumValues:
              - reply_immediately
              - reply_later
          - name: response_text
            type: string
            description: The text to post online in response to this review.
            required: true
    functionCall: respond_to_review
  - id: response_urgency
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.prioritize_response | jq('.choices[0].message.tool_calls[0].function.arguments | fromjson | .response_urgency') | first }}"
  - id: response_text
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.prioritize_response | jq('.choices[0].message.tool_calls[0].function.arguments | fromjson | .response_text') | first }}"
`,
    );
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs.response_urgency).toEqual({ value: 'reply_later' });
    expect(report.outputs.response_text).toEqual({ value: 'Thanks! (I love your product and would purchase it again!)' });
    const sent = JSON.parse(server.requests.at(-1)!.body) as Record<string, unknown>;
    expect(sent.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'respond_to_review',
          description:
            'Given the customer product review provided as input, determines how urgently a reply is required and then provides suggested response text.',
          parameters: {
            type: 'object',
            properties: {
              response_urgency: {
                type: 'string',
                description: 'How urgently this customer review needs a reply.',
                enum: ['reply_immediately', 'reply_later'],
              },
              response_text: { type: 'string', description: 'The text to post online in response to this review.' },
            },
            required: ['response_urgency', 'response_text'],
          },
        },
      },
    ]);
    expect(sent.tool_choice).toEqual({ type: 'function', function: { name: 'respond_to_review' } });
  });

  test('Kestra’s argument errors: neither messages nor prompt; a functionCall that names no function', async () => {
    const head = `id: c\nnamespace: company.team\ntasks:\n  - id: c\n    type: io.kestra.plugin.openai.ChatCompletion\n    apiKey: k\n    model: gpt-4o\n`;
    const none = await run(head);
    expect(none.taskRuns[0]?.error).toBe('Either `messages` or `prompt` must be set');
    const named = await run(`${head}    prompt: hi\n    functionCall: nope\n`);
    expect(named.taskRuns[0]?.error).toBe("Cannot specify a function name for `functionCall` ('nope') when no `functions` are provided.");
  });

  test('a refused key: the error says what the server said, and the key (given literally, quoted back) is masked everywhere', async () => {
    const wrong = `sk-wrong-${Math.random().toString(36).slice(2)}xyz`;
    const report = await run(
      `id: c\nnamespace: company.team\ntasks:\n  - id: c\n    type: io.kestra.plugin.openai.ChatCompletion\n    apiKey: ${wrong}\n    model: gpt-4o\n    prompt: hi\n  - id: after\n    type: io.kestra.plugin.core.log.Log\n    message: "key was ${wrong}"\n`,
    );
    expect(report.state).toBe('FAILED');
    const error = report.taskRuns[0]?.error ?? '';
    expect(error).toContain(`Chat completion failed: 401 Unauthorized from ${server.origin}: Incorrect API key provided: ******.`);
    expect(JSON.stringify(report)).not.toContain(wrong);
  });

  test('nothing listening: a clear error naming the endpoint’s origin only', async () => {
    const report = await run(
      `id: c\nnamespace: company.team\ntasks:\n  - id: c\n    type: io.kestra.plugin.openai.ChatCompletion\n    apiKey: "{{ secret('OPENAI_API_KEY') }}"\n    model: gpt-4o\n    prompt: hi\n`,
      { env: { ...env(), OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } },
    );
    expect(report.taskRuns[0]?.error).toMatch(/^Chat completion failed: cannot reach http:\/\/127\.0\.0\.1:9/);
    leakFree(report);
  });
});

describe('io.kestra.plugin.ai.completion.ChatCompletion (OpenAI provider)', () => {
  test('the chat_completion example with provider.baseUrl: textOutput, tokenUsage, finishReason', async () => {
    const report = await run(
      `id: chat_completion
namespace: company.ai
inputs:
  - id: prompt
    type: STRING
tasks:
  - id: chat_completion
    type: io.kestra.plugin.ai.completion.ChatCompletion
    provider:
      type: io.kestra.plugin.ai.provider.OpenAI
      apiKey: "{{ secret('OPENAI_API_KEY') }}"
      modelName: gpt-5-mini
      baseUrl: ${server.origin}/v1
    configuration:
      temperature: 0.5
      seed: 42
    messages:
      - type: SYSTEM
        content: You are a helpful assistant, answer concisely.
      - type: USER
        content: "{{ inputs.prompt }}"
`,
      { env: { SECRET_OPENAI_API_KEY: b64(KEY) }, inputs: { prompt: 'What is the capital of France?' } },
    );
    expect(report.state).toBe('SUCCESS');
    const outputs = report.outputs.chat_completion as Record<string, unknown>;
    expect(outputs).toMatchObject({
      textOutput: 'The capital of France is Paris.',
      aiResponse: 'The capital of France is Paris.',
      tokenUsage: { inputTokenCount: 14, outputTokenCount: 7, totalTokenCount: 21 },
      finishReason: 'STOP',
      guardrailViolated: false,
      toolExecutions: [],
    });
    expect(typeof outputs.requestDuration).toBe('number');
    const sent = JSON.parse(server.requests.at(-1)!.body) as Record<string, unknown>;
    expect(sent).toEqual({
      model: 'gpt-5-mini',
      messages: [
        { role: 'system', content: 'You are a helpful assistant, answer concisely.' },
        { role: 'user', content: 'What is the capital of France?' },
      ],
      temperature: 0.5,
      seed: 42,
    });
    leakFree(report);
  });

  test('structured output: responseFormat JSON with a schema gives jsonOutput (the legacy langchain4j name)', async () => {
    const report = await run(`id: structured-output
namespace: company.ai
tasks:
  - id: ai-agent
    type: io.kestra.plugin.langchain4j.ChatCompletion
    provider:
      type: io.kestra.plugin.ai.provider.OpenAI
      modelName: gpt-4o-mini
      apiKey: "{{ secret('OPENAI_API_KEY') }}"
    configuration:
      responseFormat:
        type: JSON
        jsonSchema:
          type: object
          properties:
            name:
              type: string
            birth:
              type: string
    messages:
      - type: USER
        content: Hello, my name is John. I was born on January 1, 2000.
`);
    expect(report.state).toBe('SUCCESS');
    expect(report.outputs['ai-agent']).toMatchObject({ jsonOutput: { name: 'John', birth: '2000-01-01' } });
    expect(report.outputs['ai-agent']).not.toHaveProperty('textOutput');
    const sent = JSON.parse(server.requests.at(-1)!.body) as { response_format: unknown };
    expect(sent.response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'JsonSchema',
        strict: false,
        schema: { type: 'object', properties: { name: { type: 'string' }, birth: { type: 'string' } } },
      },
    });
  });

  test('plugin-ai’s message rules and an unsupported provider', async () => {
    const requestsBefore = server.requests.length;
    const head = (provider: string, messages: string): string =>
      `id: c\nnamespace: company.ai\ntasks:\n  - id: c\n    type: io.kestra.plugin.ai.completion.ChatCompletion\n    provider:\n      type: ${provider}\n      apiKey: k\n      modelName: m\n    messages:\n${messages}`;
    const twoSystems = await run(
      head(
        'io.kestra.plugin.ai.provider.OpenAI',
        '      - type: SYSTEM\n        content: a\n      - type: SYSTEM\n        content: b\n      - type: USER\n        content: c\n',
      ),
    );
    expect(twoSystems.taskRuns[0]?.error).toBe('Only one system message is allowed');
    const lastAi = await run(
      head('io.kestra.plugin.ai.provider.OpenAI', '      - type: USER\n        content: a\n      - type: AI\n        content: b\n'),
    );
    expect(lastAi.taskRuns[0]?.error).toBe('The last message must be a user message');
    const bedrock = await run(head('io.kestra.plugin.ai.provider.AmazonBedrock', '      - type: USER\n        content: a\n'));
    expect(bedrock.taskRuns[0]?.error).toContain('Provider `io.kestra.plugin.ai.provider.AmazonBedrock` is not supported by pebbleflow');
    expect(server.requests).toHaveLength(requestsBefore);
  });
});
