"""Runs `openstack` commands, each in a fork of one Python process that has the client imported.

/usr/bin/openstack is `sys.exit(openstackclient.shell.main())`. For each request this runner
forks, and the child calls that same `main(argv)` with its output going to files, then exits
with its status: every command starts from the state a fresh process has after the imports (no
session, connection or token carried over from an earlier command). What is saved is the
interpreter start and the imports, about a second of CPU per command.

Protocol: one JSON array of arguments per line on stdin; one JSON object per line on stdout
with the command's exit status and what it printed: {"code": int, "stdout": str, "stderr": str}.
"""

import json
import os
import signal
import sys
import tempfile

# The program name the client prints in its messages, as when run as /usr/bin/openstack.
sys.argv = ['openstack']

import contextlib  # noqa: E402
import logging  # noqa: E402

from openstackclient import shell  # noqa: E402
import keystoneauth1.session  # noqa: E402,F401
import openstack.config  # noqa: E402,F401

# Warm-up: a command's --help loads every plugin's modules and the package metadata the client
# reads for its epilog (module-level caches the forks inherit), and sends nothing anywhere.
with open(os.devnull, 'w') as devnull, contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
    try:
        shell.main(['--os-auth-type', 'none', '--os-endpoint', 'http://127.0.0.1:9', 'loadbalancer', 'list', '--help'])
    except SystemExit:
        pass
# The console handler the warm-up added writes to its (closed) devnull; each command adds its own.
for handler in list(logging.getLogger('').handlers):
    logging.getLogger('').removeHandler(handler)

# A command still running after this long fails (the client's --wait polls for ever otherwise).
COMMAND_TIMEOUT_S = 60


def on_alarm(signum, frame):
    raise TimeoutError('the command ran longer than %d s' % COMMAND_TIMEOUT_S)


protocol_in = sys.stdin
protocol_out = os.fdopen(os.dup(1), 'w')


def run(argv):
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                sys.stdout = os.fdopen(1, 'w')
                sys.stderr = os.fdopen(2, 'w')
                signal.signal(signal.SIGALRM, on_alarm)
                signal.alarm(COMMAND_TIMEOUT_S)
                code = shell.main(argv)
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            except BaseException as error:  # the command's own crash, reported as the process would
                print('%s: %s' % (type(error).__name__, error), file=sys.stderr)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code or 0)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            'code': code if code >= 0 else 128 - code,
            'stdout': out.read().decode('utf-8', 'replace'),
            'stderr': err.read().decode('utf-8', 'replace'),
        }


for line in protocol_in:
    protocol_out.write(json.dumps(run(json.loads(line))) + '\n')
    protocol_out.flush()
