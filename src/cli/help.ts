/** Help texts, one per command (`pebbleflow <command> --help`). */

export const HELP: Readonly<Record<string, string>> = {
  main: `pebbleflow — run Kestra flow files locally

Usage: pebbleflow <command> [options]

Commands:
  run FLOW.yaml           run a flow and stream its tasks and logs
  validate PATH...        check flow files (or folders of them)
  render 'TEMPLATE'       evaluate an expression as a flow would
  credentials list        list the credentials of the config
  credentials test ID     mint a token to check a credential ("Test connection")
  schema [--config]       print the JSON Schema of flow files (or of the config)
  server [FLOWS_DIR]      Kestra's REST API and triggers over a flows folder
  worker --redis URL      run the executions a server queues on Redis
  plugins                 list the task types: core, bundled families, the config's plugins

Options:
  -h, --help              help for pebbleflow or a command
  -v, --version           print the version

Exit codes: 0 success (SUCCESS or WARNING), 1 failed (FAILED, invalid flows),
            2 invalid usage, flow, config or input.
The config is ./pebbleflow.yaml unless --config says otherwise.`,

  run: `Usage: pebbleflow run FLOW.yaml [options]

Runs a flow and streams each task's start, state, duration and log lines.

Options:
  -i, --input ID=VALUE    an input value (repeatable); a FILE input takes a path: -i data=@./data.csv
      --inputs FILE.json  input values from a JSON object (--input wins)
  -c, --config FILE       project config (default: ./pebbleflow.yaml if present)
      --storage DIR       internal storage and KV store folder (default: the config's storage,
                          else .pebbleflow/storage beside the config or in the current folder)
  -t, --tenant ID         tenant for secrets and credentials (default: the config's)
      --json              print one JSON report on stdout instead
  -h, --help              this help

Exit codes: 0 SUCCESS or WARNING, 1 FAILED, 2 invalid flow, config, input or usage.`,

  validate: `Usage: pebbleflow validate PATH... [options]

Checks flow files; a folder is searched for *.yml and *.yaml (pebbleflow.yaml
config files are left out). Prints one ✓ or ✘ line per flow, with every problem
as line:column.

Options:
  -c, --config FILE    project config whose plugins' task types flows may use
                       (default: ./pebbleflow.yaml if present)

Exit codes: 0 all valid, 1 any invalid, 2 usage.`,

  render: `Usage: pebbleflow render 'TEMPLATE' [options]

Evaluates a template as a flow task would; secrets and tokens are masked.

Options:
      --context FILE.json  variables (merged over flow, execution, envs)
  -n, --namespace NS       namespace for secret() and credential() (default: company.team)
  -t, --tenant ID          tenant (default: the config's)
  -c, --config FILE        project config (default: ./pebbleflow.yaml if present)
  -h, --help               this help

Exit codes: 0 rendered, 1 template error, 2 usage, config or context file.`,

  credentials: `Usage: pebbleflow credentials <list|test> [options]

  credentials list                  the credentials of the config
  credentials test ID [-n NS]       mint a token now (bypassing the cache) and show
                                    its type, expiry and scope — never the token

Options:
  -n, --namespace NS   namespace the credential is used from (test)
  -t, --tenant ID      tenant (default: the config's)
  -c, --config FILE    project config (default: ./pebbleflow.yaml)
      --json           machine-readable output
  -h, --help           this help

Exit codes: 0 ok, 1 token request failed, 2 usage or config.`,

  server: `Usage: pebbleflow server [FLOWS_DIR] [options]

Serves Kestra's REST API (/api/v1/{tenant}/…) over the flows of FLOWS_DIR (default:
the current folder; watched, a flow saved with problems is reported and its previous
revision keeps running) and fires their Schedule, Webhook and Flow triggers.
Executions, logs and trigger states are kept under .pebbleflow/. The first line
on stdout is \`pebbleflow server listening on http://HOST:PORT\`.

Options:
  -p, --port N            port (default 8080; 0 picks a free one)
      --host HOST         address (default 127.0.0.1; any other needs
                          server.basicAuth in the config)
  -c, --config FILE       project config (default: ./pebbleflow.yaml if present)
      --redis URL         queue executions on BullMQ in this Redis; run them with
                          \`pebbleflow worker --redis URL\`
      --concurrency N     executions run at once in embedded mode (default 8)
      --data-dir DIR      where executions and logs are kept (default .pebbleflow)
      --grace SECONDS     at shutdown, how long running executions may finish (30)
  -h, --help              this help`,

  worker: `Usage: pebbleflow worker --redis URL [options]

Runs the executions a \`pebbleflow server --redis URL\` queues (and the schedules it
registers). Secrets and credentials come from this worker's own config.
SIGTERM stops taking work, lets running executions finish within the grace period,
then hands the rest back to the queue.

Options:
      --redis URL         the Redis the server uses (required)
  -c, --config FILE       project config (default: ./pebbleflow.yaml if present)
      --concurrency N     executions run at once (default 8)
      --grace SECONDS     at shutdown, how long running executions may finish (30)
      --lock-duration S   how long a job stays with a worker that stopped answering
                          before another worker takes it over (10)
  -h, --help              this help`,
  plugins: `Usage: pebbleflow plugins [options]

Lists the task types flows may use: the core ones, the bundled plugin families
(git, mail, OpenAI, execution notifications…) and the plugins the config lists
(plugins: [package-or-path]), each with its version and file.

Options:
  -c, --config FILE    project config (default: ./pebbleflow.yaml if present)
      --types          list every task type name (aliases too)
      --json           machine-readable output
  -h, --help           this help

Exit codes: 0 listed, 2 a plugin cannot be loaded, usage or config.`,

  schema: `Usage: pebbleflow schema [--config]

Prints the JSON Schema of flow files (schema/flow.schema.json) for every
registered task type; with --config, the JSON Schema of pebbleflow.yaml
(schema/pebbleflow.schema.json) for every credential type and secret provider.`,
};
