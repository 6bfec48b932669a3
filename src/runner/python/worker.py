"""pybench's Python worker: the one piece of Python in pybench.

pybench (a Rust binary) starts this script with the chosen interpreter. It
needs Python 3.9 or newer and the standard library only.

The worker keeps private copies of its stdin and stdout as a channel to
pybench: one JSON object a line each way. The benchmark's own stdin is then
/dev/null, and its stdout (fd 1, also for C extensions) goes to stderr,
which pybench captures; so nothing a benchmark prints can garble the
channel, and no prompt can wait for input.

Requests (`op`):
  list    read the bench_* functions of files and their setting defaults
          with `ast`, importing nothing;
  import  import a benchmark file (once per worker) and, when asked, read
          setting defaults that are not literals from the live functions;
  seed    call one benchmark on one seed and send back its value as JSON.
"""

import ast
import faulthandler
import json
import numbers
import os
import signal
import sys
import time
import traceback
import types


def open_channel():
    """Keep stdin and stdout for pybench; give the benchmark /dev/null and stderr."""
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return requests, replies


def shown(path):
    """A path as the user would name it: relative to the current directory when under it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def where(error):
    """`file:line` of the innermost frame of `error`, or of a syntax error's line."""
    if isinstance(error, SyntaxError) and error.filename:
        return "%s:%s" % (shown(error.filename), error.lineno)
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "unknown place"
    return "%s:%s" % (shown(frames[-1].filename), frames[-1].lineno)


def describe(error):
    """One line: the exception's type, its message and where it was raised."""
    if isinstance(error, SyntaxError):
        message = error.msg
    else:
        message = str(error)
    kind = type(error).__name__
    text = "%s: %s" % (kind, message) if message else kind
    return "%s (at %s)" % (text, where(error))


def interpreter_of(error):
    """For a failed import, which interpreter failed it: the wrong
    environment is the usual cause."""
    return "; interpreter %s" % sys.executable if isinstance(error, ImportError) else ""


# --- listing without importing -------------------------------------------


class NotLiteral(Exception):
    """A default that only running the file can tell."""


def module_constants(tree):
    """Names bound exactly once at module level, to a literal."""
    bound = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name):
                bound.setdefault(target.id, []).append(value)
    constants = {}
    for name, values in bound.items():
        if len(values) == 1:
            try:
                constants[name] = ast.literal_eval(values[0])
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                pass
    return constants


def literal(node, constants):
    """The value of a default written as a literal or a module constant."""
    if isinstance(node, ast.Name):
        if node.id in constants:
            return constants[node.id]
        raise NotLiteral(node.id)
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise NotLiteral(ast.dump(node)) from None


def default_nodes(arguments):
    """(name, default) of every parameter that has a default."""
    positional = list(getattr(arguments, "posonlyargs", [])) + list(arguments.args)
    with_default = positional[len(positional) - len(arguments.defaults):]
    pairs = list(zip(with_default, arguments.defaults))
    pairs += [(a, d) for a, d in zip(arguments.kwonlyargs, arguments.kw_defaults) if d is not None]
    return [(arg.arg, node) for arg, node in pairs]


def list_file(path, wanted):
    """The bench_* functions defined at the top level of `path`."""
    with open(path, "rb") as file:
        tree = ast.parse(file.read(), filename=path)
    constants = module_constants(tree)
    benches = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("bench_"):
            continue
        settings, needs_import = {}, False
        for name, default in default_nodes(node.args):
            if name not in wanted:
                continue
            try:
                settings[name] = plain_setting(literal(default, constants))
            except NotLiteral:
                needs_import = True
        benches[node.name] = {"name": node.name, "settings": settings, "needs_import": needs_import}
    return list(benches.values())


def plain_setting(value):
    """A setting's default as JSON holds it (a tuple is a list)."""
    if isinstance(value, (tuple, list)):
        return [plain_setting(v) for v in value]
    if isinstance(value, (bool, str, type(None))):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return repr(value)


def missing_import(path, paths):
    """The first import at the top of `path` whose module cannot be found,
    as the import would say it; found without importing anything, so that
    a file in the wrong environment is one ERROR, not one per benchmark.
    Only imports before any other statement count: a statement between
    them may change sys.path."""
    import importlib.util

    with open(path, "rb") as file:
        tree = ast.parse(file.read(), filename=path)
    saved = sys.path[:]
    sys.path[:0] = list(paths) + [os.path.dirname(path)]
    try:
        for node in tree.body:
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level or node.module == "__future__":
                    continue
                names = [node.module]
            elif isinstance(node, ast.Expr) and isinstance(getattr(node.value, "value", None), str):
                continue
            else:
                break
            for top in (name.split(".")[0] for name in names):
                try:
                    found = top in sys.modules or importlib.util.find_spec(top) is not None
                except Exception:
                    found = True
                if not found:
                    return "cannot import %s: ModuleNotFoundError: No module named %r (at %s:%d); interpreter %s" % (
                        shown(path), top, shown(path), node.lineno, sys.executable)
    finally:
        sys.path[:] = saved
    return None


def serve_list(request):
    files = []
    for path in request["files"]:
        try:
            benches = list_file(path, set(request["settings"]))
            missing = benches and missing_import(path, request.get("paths", []))
            if missing:
                files.append({"file": path, "error": missing})
            else:
                files.append({"file": path, "benches": benches})
        except (SyntaxError, ValueError) as error:
            files.append({"file": path, "error": describe(error)})
        except OSError as error:
            files.append({"file": path, "error": "cannot read it: %s" % error.strerror})
    return {"files": files, "python": "%d.%d.%d" % sys.version_info[:3]}


# --- importing and running -----------------------------------------------


class Loaded:
    """The benchmark file this worker imported, once, and the directory
    trees whose modules it reports after its first seed."""

    module = None
    roots = ()
    reported = False


def import_file(path, paths):
    """Import `path` as the module named after its stem, never as __main__.

    Its bytes are compiled here (a BOM and CRLF endings are fine) so that no
    .pyc is written beside it; packages it imports keep their caches.
    """
    name = os.path.splitext(os.path.basename(path))[0]
    module = types.ModuleType(name)
    module.__file__ = path
    sys.modules[name] = module
    sys.argv = [path]
    sys.path[:0] = list(paths) + [os.path.dirname(path)]
    with open(path, "rb") as file:
        code = compile(file.read(), path, "exec", dont_inherit=True)
    # Modules the file imports from beside it leave no __pycache__ in the
    # user's tree either; installed packages keep the caches they have.
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        exec(code, module.__dict__)
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return module


def live_settings(module, wanted):
    """Setting defaults of every bench_* defined in `module`, read from the functions."""
    import inspect

    found = {}
    for name, function in vars(module).items():
        if not name.startswith("bench_") or not inspect.isfunction(function):
            continue
        if function.__module__ != module.__name__:
            continue
        settings = {}
        for parameter in inspect.signature(function).parameters.values():
            if parameter.name in wanted and parameter.default is not inspect.Parameter.empty:
                settings[parameter.name] = plain_setting(scalar(parameter.default))
        found[name] = settings
    return found


def serve_import(request):
    started = time.perf_counter()
    try:
        Loaded.module = import_file(request["file"], request.get("paths", []))
        Loaded.roots = tuple(os.path.join(os.path.realpath(r), "") for r in request.get("roots", []))
    except BaseException as error:
        traceback.print_exc()
        message = describe(error) + interpreter_of(error)
        if isinstance(error, SystemExit):
            message = "called sys.exit(%r) while importing" % (error.code,)
        return {"import_error": "cannot import %s: %s" % (shown(request["file"]), message)}
    reply = {"imported": time.perf_counter() - started}
    if request.get("settings") is not None:
        reply["benches"] = live_settings(Loaded.module, set(request["settings"]))
    return reply


def scalar(value):
    """A zero-dimensional array or tensor as its Python number (a forgotten .item())."""
    if isinstance(value, (int, float)):
        return value
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):
        return value.item()
    return value


def number(value):
    """A real number as int or float; bools (numpy's too) stay bools, to be refused."""
    value = scalar(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (str, type(None))):
        return value
    return repr(value)


class BadValue(ValueError):
    """A value of a shape no benchmark may return: its message says which."""


def metrics(record, what):
    plain = {}
    for key, value in record.items():
        if not isinstance(key, str):
            raise BadValue("%s has a key %r that is not a string" % (what, key))
        plain[key] = number(value)
    return plain


def step_record(record):
    if not isinstance(record, dict):
        raise BadValue("a step record is a dict, not %s" % type(record).__name__)
    step = scalar(record.get("step"))
    if isinstance(step, numbers.Integral) and not isinstance(step, bool):
        record = dict(record, step=int(step))
    return metrics(record, "a step record")


def scores_json(value):
    """A benchmark's value as the JSON pybench parses for every benchmark."""
    value = scalar(value)
    if isinstance(value, dict):
        plain = metrics(value, "the dict")
    elif isinstance(value, list):
        plain = [step_record(record) for record in value]
    elif isinstance(value, (bool, numbers.Real)):
        plain = number(value)
    else:
        raise BadValue(
            "returned %s; a benchmark returns a number, a dict of metrics or a list of step dicts"
            % type(value).__name__
        )
    return json.dumps(plain, allow_nan=True)


def serve_seed(request):
    index = request["index"]
    function = getattr(Loaded.module, request["bench"], None)
    if function is None:
        return {"done": index, "error": "%s no longer defines %s" % (Loaded.module.__file__, request["bench"])}
    try:
        value = function(request["seed"])
    except SystemExit as error:
        return {"done": index, "error": "called sys.exit(%r)" % (error.code,)}
    except BaseException as error:
        # The benchmark's frames only: this script's own frame is left out.
        traceback.print_exception(type(error), error, error.__traceback__.tb_next)
        return {"done": index, "error": describe(error) + interpreter_of(error)}
    try:
        reply = {"done": index, "value": scores_json(value)}
    except BadValue as error:
        return {"done": index, "error": str(error)}
    if not Loaded.reported:
        # After the first seed, what it imported lazily counts too.
        Loaded.reported = True
        files, packages = module_files(Loaded.roots)
        reply["loaded"] = {"files": files, "packages": packages, "frameworks": frameworks()}
    return reply


def module_files(roots):
    """The files of every loaded module that lie under one of `roots`, and
    where each top-level package was loaded from."""
    files, packages = set(), {}
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str):
            continue
        path = os.path.realpath(path)
        if path.startswith(roots):
            files.add(path)
        if "." not in name:
            packages[name] = path
    return sorted(files), packages


# (name recorded, module) of the frameworks the fingerprint names.
FRAMEWORKS = (
    ("numpy", "numpy"),
    ("scipy", "scipy"),
    ("scikit-learn", "sklearn"),
    ("torch", "torch"),
    ("jax", "jax"),
    ("jaxlib", "jaxlib"),
    ("tensorflow", "tensorflow"),
)


def frameworks():
    """Versions of the frameworks the benchmark imported: read only from
    sys.modules, so nothing is imported and no GPU runtime is started."""
    found = {}
    for label, name in FRAMEWORKS:
        module = sys.modules.get(name)
        version = getattr(module, "__version__", None) if module is not None else None
        if version is None and name == "jaxlib":
            version = getattr(sys.modules.get("jaxlib.version"), "__version__", None)
        if isinstance(version, str):
            found[label] = version
    torch = sys.modules.get("torch")
    cuda = getattr(getattr(torch, "version", None), "cuda", None)
    if isinstance(cuda, str):
        found["torch.cuda"] = cuda
    try:
        # Only a runtime the benchmark started itself: is_initialized()
        # starts nothing.
        if torch is not None and torch.cuda.is_initialized():
            found["gpu"] = torch.cuda.get_device_name(torch.cuda.current_device())
    except Exception:
        pass
    return found


def main():
    requests, replies = open_channel()
    faulthandler.enable()
    # pybench asks for every thread's stack before it kills a hung seed.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    serve = {"list": serve_list, "import": serve_import, "seed": serve_seed}
    for line in requests:
        request = json.loads(line)
        reply = serve[request["op"]](request)
        # What the request printed goes out before its reply.
        sys.stdout.flush()
        sys.stderr.flush()
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
