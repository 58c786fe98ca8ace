/**
 * The execution notifications family: a summary of an execution (the current one, or `executionId`)
 * sent to Slack, Discord, Microsoft Teams, Google Chat or by mail, under the current plugin names and
 * plugin-notifications' older ones. Definitions only; `run` imports the implementation on first use.
 */
import type { PropertyDefinition } from '../definition.js';
import { defineTask } from '../definition.js';
import type { TaskFamily } from '../bundled.js';
import { mailProperties } from '../mail/index.js';
import { optionsSchema } from './webhooks.js';

/** plugin-notifications' ExecutionInterface. */
const executionProperties = {
  executionId: { kind: 'string', description: 'The execution to report (default: the current one, {{ execution.id }}).' },
  customFields: { kind: 'map', description: 'Fields added to the message.' },
  customMessage: { kind: 'string', description: 'A message added to the notification.' },
} as const satisfies Readonly<Record<string, PropertyDefinition>>;

const webhookUrl = { kind: 'string', required: true, description: 'The incoming webhook URL (a secret: masked).' } as const;
const webhookOptions = {
  kind: 'any',
  dynamic: false,
  schema: optionsSchema,
  description: 'HTTP client options: timeouts, headers.',
} as const;

export const slackExecutionTask = defineTask({
  type: 'io.kestra.plugin.slack.notifications.SlackExecution',
  aliases: ['io.kestra.plugin.notifications.slack.SlackExecution', 'io.kestra.plugin.slack.SlackExecution'],
  title: 'Send a Slack message with the execution summary (state, duration, failed task, link).',
  properties: {
    url: webhookUrl,
    options: webhookOptions,
    ...executionProperties,
    channel: { kind: 'string', deprecated: true },
    username: { kind: 'string', deprecated: true },
    iconUrl: { kind: 'string', deprecated: true },
    iconEmoji: { kind: 'string', deprecated: true },
  },
  async run(ctx) {
    await (await import('./execution.js')).runSlackExecution(ctx);
  },
});

export const discordExecutionTask = defineTask({
  type: 'io.kestra.plugin.discord.DiscordExecution',
  aliases: ['io.kestra.plugin.notifications.discord.DiscordExecution'],
  title: 'Send a Discord message with the execution summary.',
  properties: {
    url: webhookUrl,
    options: webhookOptions,
    ...executionProperties,
    username: { kind: 'string' },
    avatarUrl: { kind: 'string' },
    content: { kind: 'string' },
    embedList: { kind: 'list', schema: { type: 'array', items: { type: 'object' } } },
  },
  async run(ctx) {
    await (await import('./execution.js')).runDiscordExecution(ctx);
  },
});

export const teamsExecutionTask = defineTask({
  type: 'io.kestra.plugin.microsoft365.teams.TeamsExecution',
  aliases: ['io.kestra.plugin.notifications.teams.TeamsExecution'],
  title: 'Send a Microsoft Teams message card with the execution summary.',
  properties: {
    url: webhookUrl,
    options: webhookOptions,
    ...executionProperties,
    themeColor: { kind: 'string', default: '0076D7' },
    activityTitle: { kind: 'string' },
    activitySubtitle: { kind: 'string' },
  },
  async run(ctx) {
    await (await import('./execution.js')).runTeamsExecution(ctx);
  },
});

export const googleChatExecutionTask = defineTask({
  type: 'io.kestra.plugin.googleworkspace.chat.GoogleChatExecution',
  aliases: ['io.kestra.plugin.notifications.google.GoogleChatExecution'],
  title: 'Send a Google Chat message with the execution summary.',
  properties: { url: webhookUrl, options: webhookOptions, ...executionProperties, text: { kind: 'string' } },
  async run(ctx) {
    await (await import('./execution.js')).runGoogleChatExecution(ctx);
  },
});

const { htmlTextContent: _html, plainTextContent: _text, ...mailExecutionProperties } = mailProperties;

export const mailExecutionTask = defineTask({
  type: 'io.kestra.plugin.email.MailExecution',
  aliases: ['io.kestra.plugin.notifications.mail.MailExecution'],
  title: 'Send an email with the execution summary (Kestra’s HTML template).',
  properties: { ...mailExecutionProperties, ...executionProperties },
  required: ['from', 'to'],
  async run(ctx) {
    await (await import('./execution.js')).runMailExecution(ctx, 'io.kestra.plugin.email.MailExecution');
  },
});

export const executionNotificationsFamily: TaskFamily = {
  name: 'notifications',
  description: 'execution summaries to Slack, Discord, Teams, Google Chat and mail (plugin-notifications)',
  tasks: [slackExecutionTask, discordExecutionTask, teamsExecutionTask, googleChatExecutionTask, mailExecutionTask],
};
