/**
 * Incoming-webhook notifications (Slack, Discord, Microsoft Teams, Google Chat) under their current
 * plugin names and the older `io.kestra.plugin.notifications.*` ones: POST the rendered `payload`
 * (Slack also `messageText`) as JSON; a non-2xx answer fails the task with the status and the body.
 * The webhook URL is a secret in all but name: messages show its origin only. The definitions; the
 * sending (webhooks-run.ts) is imported on first use.
 */
import { durationSchema, type JsonSchema } from '../../flow/schema.js';
import { defineTask, type TaskDefinition } from '../definition.js';

/** The `options` of every incoming-webhook task (the execution notifications have them too). */
export const optionsSchema: JsonSchema = {
  type: 'object',
  properties: {
    connectTimeout: durationSchema,
    readTimeout: durationSchema,
    readIdleTimeout: durationSchema,
    connectionPoolIdleTimeout: durationSchema,
    maxContentLength: { type: ['integer', 'string'] },
    defaultCharset: { type: 'string' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    proxy: { type: 'object' },
  },
  additionalProperties: false,
};

export interface WebhookKind {
  readonly type: string;
  readonly aliases: readonly string[];
  readonly service: string;
  /** Slack and Discord parse the payload as JSON first; Teams and Google Chat send the text as it is. */
  readonly parsePayload: boolean;
  readonly messageText?: boolean;
  /** The failure message of the plugin. */
  failure(code: number, body: string): string;
}

function webhookTask(kind: WebhookKind): TaskDefinition {
  return defineTask({
    type: kind.type,
    aliases: kind.aliases,
    title: `Send a ${kind.service} message through an incoming webhook (POST of the rendered payload).`,
    properties: {
      url: { kind: 'string', required: true, description: 'The incoming webhook URL (keep it in a secret).' },
      payload: { kind: 'string', description: 'The JSON message, rendered.' },
      ...(kind.messageText === true
        ? {
            messageText: {
              kind: 'string',
              description: 'Text (Markdown is converted to Slack mrkdwn) or JSON; ignored when payload is set.',
            },
          }
        : {}),
      options: { kind: 'any', dynamic: false, schema: optionsSchema, description: 'HTTP client options: timeouts, headers.' },
    },
    ...(kind.messageText === true ? {} : { required: ['payload'] }),
    run: async (ctx) => {
      await (await import('./webhooks-run.js')).sendWebhook(ctx, kind);
    },
  });
}

const kestraHttpFailure = (code: number, body: string): string => `Failed http request with response code '${code}' and body:\n${body}`;

export const SLACK: WebhookKind = {
  type: 'io.kestra.plugin.slack.notifications.SlackIncomingWebhook',
  aliases: ['io.kestra.plugin.notifications.slack.SlackIncomingWebhook', 'io.kestra.plugin.slack.SlackIncomingWebhook'],
  service: 'Slack',
  parsePayload: true,
  messageText: true,
  failure: (code, body) => `Slack webhook request failed with status ${code}: ${body}`,
};
export const DISCORD: WebhookKind = {
  type: 'io.kestra.plugin.discord.DiscordIncomingWebhook',
  aliases: ['io.kestra.plugin.notifications.discord.DiscordIncomingWebhook'],
  service: 'Discord',
  parsePayload: true,
  failure: kestraHttpFailure,
};
export const TEAMS: WebhookKind = {
  type: 'io.kestra.plugin.microsoft365.teams.TeamsIncomingWebhook',
  aliases: ['io.kestra.plugin.notifications.teams.TeamsIncomingWebhook'],
  service: 'Microsoft Teams',
  parsePayload: false,
  failure: kestraHttpFailure,
};
export const GOOGLE_CHAT: WebhookKind = {
  type: 'io.kestra.plugin.googleworkspace.chat.GoogleChatIncomingWebhook',
  aliases: ['io.kestra.plugin.notifications.google.GoogleChatIncomingWebhook'],
  service: 'Google Chat',
  parsePayload: false,
  failure: kestraHttpFailure,
};

export const NOTIFICATION_TASKS: readonly TaskDefinition[] = [SLACK, DISCORD, TEAMS, GOOGLE_CHAT].map(webhookTask);
