/**
 * The deprecated `io.kestra.core.tasks.scripts.Bash`, `Python` and `Node` tasks, end to end with real
 * processes. Ported from kestra-io/plugin-scripts: plugin-shell's AbstractBashTest (run, files,
 * failed, stopOnFirstFailed, dontStopOnFirstFailed, useInputFiles, useInputFilesFromKestraFs,
 * useInputFilesAsVariable, preventRelativeFile) and the Bash.java examples, plugin-python's PythonTest
 * (run, failed, noVirtualEnv, manyFiles, pipConf, fileInSubFolders, args) and plugin-node's NodeTest
 * (run, failed, manyFiles, fileInSubFolders, args).
 */
import { logsOf, project, states, type Project } from './helpers.js';

let p: Project;
beforeEach(async () => {
  p = await project();
});
afterEach(async () => {
  await p.cleanup();
});

type Outputs = {
  vars: Record<string, unknown>;
  exitCode: number;
  stdOutLineCount: number;
  stdErrLineCount: number;
  outputFiles: Record<string, string>;
};
const out = (r: { outputs: Record<string, unknown> }, id: string): Outputs => r.outputs[id] as Outputs;

describe('io.kestra.core.tasks.scripts.Bash', () => {
  test('run: stdout and stderr lines are counted (AbstractBashTest.run)', async () => {
    const r = await p.run(`
id: bash_run
namespace: company.team
tasks:
  - id: bash
    type: io.kestra.core.tasks.scripts.Bash
    commands: ["echo 0", "echo 1", ">&2 echo 2", ">&2 echo 3"]
`);
    expect(r.state).toBe('SUCCESS');
    expect(out(r, 'bash')).toMatchObject({ exitCode: 0, stdOutLineCount: 2, stdErrLineCount: 2 });
    // Kestra's legacy task says where it runs, at INFO.
    expect(logsOf(r, 'bash')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^INFO Running script with working directory: \//), 'ERROR 2']),
    );
  });

  test('files: outputFiles are keys whose files are stored; inputFiles in sub-folders (AbstractBashTest.files, bash_generate_files)', async () => {
    const r = await p.run(`
id: bash_generate_files
namespace: company.team
tasks:
  - id: bash
    type: io.kestra.core.tasks.scripts.Bash
    outputFiles: [xml, csv]
    inputFiles:
      files/in/in.txt: I'm here
    commands:
      - |
        echo '::{"outputs": {"extract":"'$(cat files/in/in.txt)'"}}::'
      - echo 1 >> {{ outputFiles.xml }}
      - echo 2 >> {{ outputFiles.csv }}
      - echo 3 >> {{ outputFiles.xml }}
  - id: read
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.bash.outputFiles.xml) }}|{{ read(outputs.bash.files.csv) }}"
`);
    expect(r.state).toBe('SUCCESS');
    const bash = out(r, 'bash');
    expect(bash).toMatchObject({ exitCode: 0, stdErrLineCount: 0, stdOutLineCount: 1, vars: { extract: "I'm here" } });
    expect(Object.keys(bash.outputFiles).sort()).toEqual(['csv', 'xml']);
    expect(await p.read(bash.outputFiles['xml']!)).toBe('1\n3\n');
    expect(await p.read(bash.outputFiles['csv']!)).toBe('2\n');
    expect(r.outputs['read']).toEqual({ value: '1\n3\n|2\n' });
  });

  test('failed: exit 66 is FAILED with the exit code kept (AbstractBashTest.failed)', async () => {
    const r = await p.run(`
id: bash_failed
namespace: company.team
tasks:
  - id: bash
    type: io.kestra.core.tasks.scripts.Bash
    interpreter: /bin/bash
    commands: ["echo 1 1>&2", "exit 66", "echo 2"]
errors:
  - id: code
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.bash.exitCode }}"
`);
    expect(r.state).toBe('FAILED');
    expect(r.taskRuns.find((t) => t.taskId === 'bash')).toMatchObject({ state: 'FAILED', error: 'Command failed with exit code 66' });
    expect(r.outputs['code']).toEqual({ value: '66' });
    expect(logsOf(r, 'bash')).not.toContain('INFO 2');
  });

  test('exitOnFailed: the first failing command stops the script (127), unless exitOnFailed is false (stopOnFirstFailed, dontStopOnFirstFailed)', async () => {
    const r = await p.run(`
id: bash_exit_on_failed
namespace: company.team
tasks:
  - id: stop
    type: io.kestra.core.tasks.scripts.Bash
    interpreter: /bin/bash
    allowFailure: true
    commands: ["unknown", "echo 1"]
  - id: go_on
    type: io.kestra.core.tasks.scripts.Bash
    interpreter: /bin/bash
    exitOnFailed: false
    commands: ["unknown", "echo 1"]
`);
    expect(states(r)).toEqual({ stop: 'WARNING', go_on: 'SUCCESS' });
    expect(r.taskRuns.find((t) => t.taskId === 'stop')?.error).toBe('Command failed with exit code 127');
    expect(r.outputs['stop']).toMatchObject({ exitCode: 127 });
    expect(out(r, 'go_on')).toMatchObject({ exitCode: 0, stdOutLineCount: 1 });
    expect(out(r, 'go_on').stdErrLineCount).toBeGreaterThan(0);
  });

  test('inputFiles: a script sourced with {{ workingDir }}; storage files by URI, as a map or a JSON string (useInputFiles, useInputFilesFromKestraFs, useInputFilesAsVariable)', async () => {
    const r = await p.run(`
id: bash_input_files
namespace: company.team
tasks:
  - id: source
    type: io.kestra.core.tasks.scripts.Bash
    interpreter: /bin/bash
    inputFiles:
      test.sh: "tst() { echo '::{\\"outputs\\": {\\"extract\\":\\"testbash\\"}}::' ; echo '{{ workingDir }}'; }"
    commands: ["source {{ workingDir }}/test.sh && tst"]
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "a: 1\\n"
    extension: .yml
  - id: from_storage
    type: io.kestra.core.tasks.scripts.Bash
    inputFiles:
      fscontent.txt: "{{ outputs.write.uri }}"
    outputFiles: [out]
    commands: ["cat fscontent.txt > {{ outputFiles.out }}"]
  - id: as_json
    type: io.kestra.core.tasks.scripts.Bash
    inputFiles: '{"1.yml": "{{ outputs.write.uri }}", "2.yml": "{{ outputs.write.uri }}"}'
    outputFiles: [out]
    commands: ["cat 1.yml 2.yml > {{ outputFiles.out }}"]
`);
    expect(r.state).toBe('SUCCESS');
    expect(out(r, 'source').vars).toEqual({ extract: 'testbash' });
    expect(await p.read(out(r, 'from_storage').outputFiles['out']!)).toBe('a: 1\n');
    expect(await p.read(out(r, 'as_json').outputFiles['out']!)).toBe('a: 1\na: 1\n');
  });

  test('preventRelativeFile: an input file name leaving the working directory fails the task; a dot file is fine', async () => {
    const r = await p.run(`
id: bash_relative
namespace: company.team
inputs:
  - { id: up, type: STRING, defaults: ../../test.txt }
  - { id: dot, type: STRING, defaults: .test.txt }
tasks:
  - id: escape
    type: io.kestra.core.tasks.scripts.Bash
    allowFailure: true
    inputFiles:
      "{{ inputs.up }}": hello
    commands: ["echo 1"]
  - id: dotfile
    type: io.kestra.core.tasks.scripts.Bash
    inputFiles:
      "{{ inputs.dot }}": hello
    commands: ["cat .test.txt"]
`);
    expect(states(r)).toEqual({ escape: 'WARNING', dotfile: 'SUCCESS' });
    expect(r.taskRuns[0]?.error).toBe("Invalid inputFile (only relative path is supported) for path '../../test.txt'");
    expect(logsOf(r, 'dotfile')).toContain('INFO hello');
  });

  test('outputDirs: every file of the folder is stored under key/name; runner DOCKER is noted in one line', async () => {
    const r = await p.run(`
id: bash_output_dirs
namespace: company.team
tasks:
  - id: bash
    type: io.kestra.core.tasks.scripts.Bash
    runner: DOCKER
    dockerOptions:
      image: php
    outputDirs: [myDir]
    commands:
      - echo 1 >> {{ outputDirs.myDir }}/file1.txt
      - echo 2 >> {{ outputDirs.myDir }}/file2.txt
`);
    expect(r.state).toBe('SUCCESS');
    const files = out(r, 'bash').outputFiles;
    expect(Object.keys(files).sort()).toEqual(['myDir/file1.txt', 'myDir/file2.txt']);
    expect(await p.read(files['myDir/file2.txt']!)).toBe('2\n');
    expect(logsOf(r, 'bash').filter((l) => l.includes('not used'))).toEqual([
      "INFO pebbleflow runs scripts as local processes: the DOCKER runner and the container image 'php' are not used (the commands run on this machine with your user's rights)",
    ]);
  });
});

describe('io.kestra.core.tasks.scripts.Python', () => {
  test('run in a fresh virtualenv: main.py from inputFiles, outputs through the protocol (PythonTest.run, python_flow example)', async () => {
    const r = await p.run(`
id: python_flow
namespace: company.team
tasks:
  - id: python
    type: io.kestra.core.tasks.scripts.Python
    pythonPath: python3
    inputFiles:
      main.py: |
        print('::{"outputs": {"extract":"hello world"}}::')
`);
    expect(r.state).toBe('SUCCESS');
    expect(out(r, 'python')).toMatchObject({ exitCode: 0, stdOutLineCount: 1, vars: { extract: 'hello world' } });
  }, 120_000);

  test('without a virtualenv: Kestra helper, many files, sub-folders, pip.conf, args; a failing script; a missing main.py', async () => {
    const r = await p.run(`
id: python_many
namespace: company.team
tasks:
  - id: helper
    type: io.kestra.core.tasks.scripts.Python
    virtualEnv: false
    inputFiles:
      main.py: |
        from kestra import Kestra
        Kestra.outputs({'ok': True})
    commands: ["python3 main.py"]
  - id: files
    type: io.kestra.core.tasks.scripts.Python
    virtualEnv: false
    commands: ["python3 main.py"]
    args: [test, param, value]
    inputFiles:
      main.py: |
        import sys, otherfile
        otherfile.test(open('sub/folder/file/test.txt').read(), '#it worked !' in open('pip.conf').read(), ' '.join(sys.argv))
      otherfile.py: |
        from kestra import Kestra
        def test(sub, pip, argv): Kestra.outputs({'sub': sub, 'pip': pip, 'argv': argv})
      sub/folder/file/test.txt: OK
      sub/folder/file/test1.txt: OK
      pip.conf: "[global]\\nno-cache-dir = false\\n#it worked !"
  - id: failed
    type: io.kestra.core.tasks.scripts.Python
    virtualEnv: false
    allowFailure: true
    commands: ["python3 main.py"]
    inputFiles:
      main.py: import sys; sys.exit(1)
  - id: no_main
    type: io.kestra.core.tasks.scripts.Python
    allowFailure: true
    inputFiles:
      other.py: print(1)
`);
    expect(states(r)).toEqual({ helper: 'SUCCESS', files: 'SUCCESS', failed: 'WARNING', no_main: 'WARNING' });
    expect(out(r, 'helper').vars).toEqual({ ok: true });
    expect(out(r, 'files').vars).toEqual({ sub: 'OK', pip: true, argv: 'main.py test param value' });
    expect(r.outputs['failed']).toMatchObject({ exitCode: 1 });
    expect(r.taskRuns.find((t) => t.taskId === 'no_main')?.error).toBe(
      'Invalid input files structure, expecting inputFiles property to contain at least a main.py key with python code value.',
    );
  }, 60_000);
});

describe('io.kestra.core.tasks.scripts.Node', () => {
  test('main.js with the Kestra helper, other files, sub-folders and args; a failing script; a missing main.js (NodeTest)', async () => {
    const r = await p.run(`
id: node_flow
namespace: company.team
tasks:
  - id: run
    type: io.kestra.core.tasks.scripts.Node
    nodePath: node
    inputFiles:
      main.js: |
        console.log('::{"outputs": {"extract":"hello world"}}::')
  - id: files
    type: io.kestra.core.tasks.scripts.Node
    args: [test, param, value]
    inputFiles:
      main.js: |
        const Kestra = require('./kestra');
        Kestra.outputs({ other: require('./otherfile').value, sub: require('fs').readFileSync('./sub/folder/file/test.txt', 'utf-8'), args: process.argv.slice(2).join(' ') });
      otherfile.js: module.exports.value = 'success'
      sub/folder/file/test.txt: OK
  - id: failed
    type: io.kestra.core.tasks.scripts.Node
    allowFailure: true
    inputFiles:
      main.js: process.exit(1)
  - id: no_main
    type: io.kestra.core.tasks.scripts.Node
    allowFailure: true
    inputFiles:
      index.js: console.log(1)
`);
    expect(states(r)).toEqual({ run: 'SUCCESS', files: 'SUCCESS', failed: 'WARNING', no_main: 'WARNING' });
    expect(out(r, 'run')).toMatchObject({ exitCode: 0, stdOutLineCount: 1, stdErrLineCount: 0, vars: { extract: 'hello world' } });
    expect(out(r, 'files').vars).toEqual({ other: 'success', sub: 'OK', args: 'test param value' });
    expect(r.outputs['failed']).toMatchObject({ exitCode: 1 });
    expect(r.taskRuns.find((t) => t.taskId === 'no_main')?.error).toBe(
      'Invalid input files structure, expecting inputFiles property to contain at least a main.js key with javascript code value.',
    );
  }, 60_000);
});
