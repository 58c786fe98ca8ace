/**
 * The languages of `kestra-io/plugin-scripts` whose `Script` and `Commands` tasks share one shape
 * (Kestra's `AbstractExecScript`): per language, Kestra's default container image, the extension of
 * the temporary file an inline `script` is written to, and the command that runs it (each module's
 * `Script.java`: `createTempFile(".rb")`, `String.join(" ", "ruby", path)`). Locally the program must
 * be on the PATH; when it is not, the task fails with DEPENDENCY_MISSING naming it and what installs it.
 *
 * Source: kestra-io/plugin-scripts, plugin-script-<lang>/src/main/java/io/kestra/plugin/scripts/<lang>/{Script,Commands}.java.
 */

export interface ScriptLanguageSpec {
  /** The package segment of the type: `io.kestra.plugin.scripts.<id>.Script`. */
  readonly id: string;
  /** The language's name in titles and messages. */
  readonly title: string;
  /** Kestra's `DEFAULT_IMAGE`, named in the "container image is not used" log line. */
  readonly image: string;
  /** The program the inline script runs with (absent for shell: the script is the command itself). */
  readonly program?: string;
  /** Other names the same program has on some systems (Debian's `lua5.4`), tried when `program` is not on the PATH. */
  readonly alternatives?: readonly string[];
  /** The extension of the inline script's temporary file (Kestra's, even where it is odd: PHP writes `.js`). */
  readonly extension?: string;
  /** The command that runs the inline script at `file` with the resolved `program`. */
  readonly scriptCommand?: (program: string, file: string) => string;
  /** What to install when the program is missing. */
  readonly install?: string;
  /** Kestra's default `interpreter` where the language has its own (PowerShell). */
  readonly interpreter?: readonly string[];
  /** The exit-on-error line put before the commands when `failFast` (Kestra's `getExitOnErrorCommands`; default `set -e`). */
  readonly exitOnError?: readonly string[];
  /** What the program is called in the missing-program message (default `interpreter`). */
  readonly noun?: string;
  /** Commands Kestra puts before the user's `beforeCommands` in `Script` (.NET installs dotnet-script). */
  readonly scriptBeforeCommands?: readonly string[];
}

const run =
  (...args: string[]) =>
  (program: string, file: string): string =>
    [program, ...args, file].join(' ');

export const SCRIPT_LANGUAGES: readonly ScriptLanguageSpec[] = [
  { id: 'shell', title: 'shell', image: 'ubuntu' },
  {
    id: 'python',
    title: 'Python',
    image: 'python:3.13-slim',
    program: 'python3',
    alternatives: ['python'],
    extension: '.py',
    install: 'Python 3 (Debian: `apt-get install python3`)',
  },
  { id: 'node', title: 'Node.js', image: 'node', program: 'node', extension: '.js', scriptCommand: run(), install: 'Node.js' },
  {
    id: 'ruby',
    title: 'Ruby',
    image: 'ruby',
    program: 'ruby',
    extension: '.rb',
    scriptCommand: run(),
    install: 'Ruby (Debian: `apt-get install ruby`)',
  },
  {
    id: 'perl',
    title: 'Perl',
    image: 'perl',
    program: 'perl',
    extension: '.pl',
    scriptCommand: run(),
    install: 'Perl (Debian: `apt-get install perl`)',
  },
  // Kestra's php.Script writes its temporary file with the extension `.js`; PHP does not mind.
  {
    id: 'php',
    title: 'PHP',
    image: 'php',
    program: 'php',
    extension: '.js',
    scriptCommand: run(),
    install: 'the PHP command line (Debian: `apt-get install php-cli`)',
  },
  {
    id: 'lua',
    title: 'Lua',
    image: 'nickblah/lua',
    program: 'lua',
    alternatives: ['lua5.4', 'lua5.3', 'lua5.2', 'lua5.1', 'luajit'],
    extension: '.lua',
    scriptCommand: run(),
    install: 'Lua (Debian: `apt-get install lua5.4`)',
  },
  {
    id: 'r',
    title: 'R',
    image: 'r-base',
    program: 'Rscript',
    extension: '.R',
    scriptCommand: run(),
    install: 'R (Debian: `apt-get install r-base-core`)',
  },
  {
    id: 'julia',
    title: 'Julia',
    image: 'julia',
    program: 'julia',
    extension: '.jl',
    scriptCommand: run(),
    install: 'Julia (https://julialang.org/downloads/)',
  },
  {
    id: 'go',
    title: 'Go',
    image: 'golang',
    program: 'go',
    extension: '.go',
    scriptCommand: run('run'),
    install: 'Go (Debian: `apt-get install golang-go`)',
  },
  {
    id: 'powershell',
    title: 'PowerShell',
    image: 'ghcr.io/kestra-io/powershell:latest',
    program: 'pwsh',
    extension: '.ps1',
    scriptCommand: (_program, file) => file,
    install: 'PowerShell 7 (`pwsh`: https://learn.microsoft.com/powershell/scripting/install/installing-powershell-on-linux)',
    interpreter: ['pwsh', '-NoProfile', '-NonInteractive', '-Command'],
    exitOnError: ["$ErrorActionPreference = 'Stop'"],
  },
  {
    id: 'deno',
    title: 'Deno',
    image: 'denoland/deno',
    program: 'deno',
    extension: '.ts',
    scriptCommand: run('run'),
    install: 'Deno (https://deno.com)',
  },
  {
    id: 'bun',
    title: 'Bun',
    image: 'oven/bun',
    program: 'bun',
    extension: '.ts',
    scriptCommand: run('run'),
    install: 'Bun (https://bun.sh)',
  },
  {
    id: 'groovy',
    title: 'Groovy',
    image: 'groovy',
    program: 'groovy',
    extension: '.groovy',
    scriptCommand: run(),
    install: 'Groovy (Debian: `apt-get install groovy`)',
  },
  {
    id: 'dotnet',
    title: 'C# (.NET)',
    image: 'mcr.microsoft.com/dotnet/sdk:10.0',
    program: 'dotnet',
    extension: '.csx',
    scriptCommand: (_program, file) => `dotnet-script ${file}`,
    install: 'the .NET SDK and dotnet-script (`dotnet tool install -g dotnet-script`)',
    scriptBeforeCommands: [
      'dotnet tool install -g dotnet-script --ignore-failed-sources || true',
      'export PATH="$PATH:$HOME/.dotnet/tools"',
    ],
  },
];

/** JBang's `Script` has two more properties (`extension`, default `.java`, and `quiet`, default true). */
export const JBANG: ScriptLanguageSpec = {
  id: 'jbang',
  title: 'Java (JBang)',
  image: 'jbangdev/jbang-action',
  program: 'jbang',
  extension: '.java',
  scriptCommand: run(),
  install: 'JBang (https://www.jbang.dev/download/)',
};

/** The CLI tasks on the script shape: their program, for the missing-program error. */
export const CLI_PROGRAMS: readonly ScriptLanguageSpec[] = [
  {
    id: 'dbt',
    title: 'dbt',
    image: 'ghcr.io/kestra-io/dbt',
    program: 'dbt',
    noun: 'program',
    install: 'dbt with the adapter the project uses (`pip install dbt-core dbt-duckdb`, for example)',
  },
  {
    id: 'ansible',
    title: 'Ansible',
    image: 'cytopia/ansible:latest-tools',
    program: 'ansible-playbook',
    noun: 'program',
    install: 'Ansible (Debian: `apt-get install ansible-core`, or `pip install ansible-core`)',
  },
  {
    id: 'terraform',
    title: 'Terraform',
    image: 'hashicorp/terraform',
    program: 'terraform',
    noun: 'program',
    install: 'Terraform (https://developer.hashicorp.com/terraform/install)',
  },
  {
    id: 'aws',
    title: 'AWS CLI',
    image: 'amazon/aws-cli',
    program: 'aws',
    noun: 'program',
    install: 'the AWS CLI (Debian: `apt-get install awscli`, or https://aws.amazon.com/cli/)',
  },
];

const BY_ID = new Map([...SCRIPT_LANGUAGES, JBANG, ...CLI_PROGRAMS].map((l) => [l.id, l]));

export function scriptLanguage(id: string): ScriptLanguageSpec {
  const spec = BY_ID.get(id);
  if (spec === undefined) throw new Error(`No script language '${id}'`);
  return spec;
}
