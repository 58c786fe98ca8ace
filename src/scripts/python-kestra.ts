/**
 * A stand-in for Kestra's Python client (`from kestra import Kestra`), put on PYTHONPATH of Python
 * script tasks. Kestra's images (`ghcr.io/kestra-io/pydata`, `kestrapy`) have the `kestra` package
 * installed, and flows use it without installing it; a machine running pebbleflow may not have it.
 * When the real package is installed anywhere on `sys.path`, the stand-in loads it instead, so it only
 * ever fills a gap. It prints the same protocol lines as the real client (`::{"outputs": …}::`,
 * metrics, logs through `Kestra.logger()`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const PYTHON_KESTRA_MODULE = `"""pebbleflow's stand-in for the kestra Python package (outputs, metrics, logs); the real package wins when installed."""
import importlib.machinery
import importlib.util
import os
import sys

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _installed():
    for entry in sys.path:
        if os.path.abspath(entry or os.getcwd()) == _HERE:
            continue
        spec = importlib.machinery.PathFinder.find_spec(__name__, [entry or os.getcwd()])
        if spec is not None and spec.origin != __file__:
            return spec
    return None


_spec = _installed()
if _spec is not None:
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[__name__] = _module
    _spec.loader.exec_module(_module)
    globals().update(_module.__dict__)
else:
    import json
    import logging
    import time
    from datetime import datetime, timezone

    class Kestra:
        _logger = None

        @staticmethod
        def format(map_):
            return "::" + json.dumps(map_) + "::"

        @staticmethod
        def _send(map_):
            print(Kestra.format(map_), flush=True)

        @staticmethod
        def _metrics(name, type_, value, tags=None):
            Kestra._send({"metrics": [{"name": name, "type": type_, "value": value, "tags": tags or {}}]})

        @staticmethod
        def outputs(map_):
            Kestra._send({"outputs": map_})

        @staticmethod
        def counter(name, value, tags=None):
            Kestra._metrics(name, "counter", value, tags)

        @staticmethod
        def gauge(name, value, tags=None):
            Kestra._metrics(name, "gauge", value, tags)

        @staticmethod
        def timer(name, duration, tags=None):
            if callable(duration):
                start = time.perf_counter()
                duration()
                Kestra._metrics(name, "timer", time.perf_counter() - start, tags)
            else:
                Kestra._metrics(name, "timer", duration, tags)

        @staticmethod
        def logger():
            if Kestra._logger is not None:
                return Kestra._logger
            logger = logging.getLogger("Kestra")
            logger.setLevel(logging.DEBUG)
            out = logging.StreamHandler(sys.stdout)
            out.setLevel(logging.DEBUG)
            out.addFilter(lambda record: record.levelno <= logging.INFO)
            out.setFormatter(JsonFormatter())
            err = logging.StreamHandler(sys.stderr)
            err.setLevel(logging.WARNING)
            err.setFormatter(JsonFormatter())
            logger.addHandler(out)
            logger.addHandler(err)
            Kestra._logger = logger
            return logger

        @staticmethod
        def read(path_):
            raise RuntimeError("Kestra.read needs the kestra Python package (pip install kestra)")

    class JsonFormatter(logging.Formatter):
        @staticmethod
        def _level(level):
            if level == logging.DEBUG:
                return "DEBUG"
            if level == logging.INFO:
                return "INFO"
            if level == logging.WARNING:
                return "WARN"
            if level >= logging.ERROR:
                return "ERROR"
            return "TRACE"

        def format(self, record):
            when = datetime.fromtimestamp(record.created, timezone.utc).isoformat(sep="T", timespec="milliseconds").replace("+00:00", "Z")
            message = when + " - " + record.getMessage()
            return Kestra.format({"logs": [{"level": self._level(record.levelno), "message": message}]})
`;

/** Writes the stand-in into a folder of `parent` (not the working directory); returns the folder to put on PYTHONPATH. */
export async function writePythonKestraModule(parent: string): Promise<string> {
  const dir = join(parent, 'stand-in');
  await mkdir(join(dir, 'kestra'), { recursive: true });
  await writeFile(join(dir, 'kestra', '__init__.py'), PYTHON_KESTRA_MODULE);
  return dir;
}
