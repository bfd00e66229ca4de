"""The ribbon as an office PC meets it: schemas, icons, VBA grammar, messages, xlwings.conf, paths.

What real Excel does cannot run here; what it reads and what it passes on can:
- the ribbon parts are checked against Microsoft's customUI schemas and every
  imageMso against Excel's own control list (tests/data/office-ribbon/, see its README);
- our VBA modules (Ribbon and the generated RibbonText) parse with the ANTLR VBA
  grammar (PyPI antlr4-vba) once #If branches are resolved for one platform;
- the Chinese messages that RibbonText builds with ChrW read back as messages.yaml says;
- the command line xlwings' VBA builds for RunPython (mirrored from the installed
  xlwings.bas, which a test pins) is taken apart as cmd.exe and the C runtime do
  (PyPI mslex), and run for real with a workspace in a Chinese folder.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import mslex
import pytest
from lxml import etree

from pyxl import excel, pipeline
from pyxl.common.config import load_settings
from pyxl.example import use_example_document
from pyxl.master import build as workbook_build
from pyxl.master import rows as master
from pyxl.master import xlsm
from pyxl.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
REFERENCE = DATA / "office-ribbon"
NOW = datetime(2025, 7, 1, 9, 30, 0)
XLWINGS_BAS = Path(importlib.util.find_spec("xlwings").origin).parent / "xlwings.bas"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ws")
    pipeline.init_workspace(folder)
    use_example_document(folder)
    pipeline.build_workbook(Workspace.load(load_settings(folder / "config.yaml")), now=NOW)
    return folder / "workbook" / "Responsibilities.xlsm"


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in (xlsm.CUSTOM_UI_14, xlsm.CUSTOM_UI_12)}


# ---------------------------------------------------------------- ribbon XML: schema and icons


SCHEMAS = {xlsm.CUSTOM_UI_14: "customui14.patched.xsd", xlsm.CUSTOM_UI_12: "customUI.patched.xsd"}


def _schema(part: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(REFERENCE / SCHEMAS[part])))


def test_ribbon_parts_validate_against_microsofts_schemas(built):
    for part, data in _parts(built).items():
        schema = _schema(part)
        document = etree.fromstring(data)
        assert schema.validate(document), (part, [str(e) for e in schema.error_log])


def test_the_schemas_refuse_what_office_would_refuse(built):
    """So the test above can fail: an unknown attribute, and a callback-less ribbon element out of place."""
    data = _parts(built)[xlsm.CUSTOM_UI_14]
    bad_attribute = data.replace(b'size="large"', b'size="large" colour="red"', 1)
    bad_size = data.replace(b'size="large"', b'size="huge"', 1)
    for broken in (bad_attribute, bad_size):
        assert broken != data
        assert not _schema(xlsm.CUSTOM_UI_14).validate(etree.fromstring(broken))


def _excel_controls() -> set[str]:
    return {line.strip() for line in (REFERENCE / "excel_control_ids.txt").read_text(encoding="utf-8").splitlines()
            if line.strip()}


def test_every_icon_is_one_of_excels_own_controls(built):
    controls = _excel_controls()
    # the list is Excel's: names from Word's and Outlook's lists that once sat on this ribbon are not in it
    assert {"FileOpen", "Refresh"} <= controls
    assert not {"TableInsert", "NewMailMessage", "FileSaveAsWordDocx"} & controls
    for part, data in _parts(built).items():
        icons = [e.get("imageMso") for e in etree.fromstring(data).iter() if e.get("imageMso")]
        assert len(icons) == len(workbook_build.ribbon_buttons()), part
        assert [icon for icon in icons if icon not in controls] == [], part


# ---------------------------------------------------------------- VBA grammar


_TOKEN = re.compile(r'"(?:[^"]|"")*"|\d+(?:\.\d+)?|[A-Za-z_]\w*|<>|<=|>=|[=<>()+\-*/&]|\s+')


def _directive_value(expression: str, constants: dict[str, object]) -> object:
    """A #If condition evaluated the way VBA's conditional compilation does (undefined names are Empty: 0)."""
    expression = expression.split("'")[0] if '"' not in expression else expression
    out = []
    position = 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if not match:
            raise ValueError(f"cannot read #If condition {expression!r}")
        token = match.group(0)
        position = match.end()
        lower = token.lower()
        if token.isspace():
            out.append(" ")
        elif token.startswith('"'):
            out.append(repr(token[1:-1].replace('""', '"')))
        elif lower in ("and", "or", "not"):
            out.append(f" {lower} ")
        elif token == "=":
            out.append("==")
        elif token == "<>":
            out.append("!=")
        elif re.fullmatch(r"[A-Za-z_]\w*", token):
            out.append(repr(constants.get(lower, 0)))
        else:
            out.append(token)
    return eval("".join(out), {"__builtins__": {}})  # noqa: S307  # only literals and operators remain


def resolve_conditional_compilation(text: str, constants: dict[str, object]) -> str:
    """The module as the VBA compiler sees it on one platform: inactive #If branches and the
    directives blanked (line numbers kept), CRLF line ends kept."""
    constants = {name.lower(): value for name, value in constants.items()}
    out, stack, active = [], [], True  # stack: (enclosing branch active, a branch of this #If taken)
    for line in text.split("\r\n"):
        stripped = line.strip()
        directive = re.match(r"#(If|ElseIf|Else|End\s*If|Const)\b(.*)$", stripped, re.IGNORECASE)
        if not directive:
            out.append(line if active else "")
            continue
        kind, rest = directive.group(1).lower().replace(" ", ""), directive.group(2)
        condition = re.sub(r"\s+Then\s*('.*)?$", "", rest, flags=re.IGNORECASE).strip()
        if kind == "const":
            name, value = condition.split("'")[0].split("=", 1)
            constants[name.strip().lower()] = _directive_value(value.strip(), constants)
        elif kind == "if":
            taken = bool(_directive_value(condition, constants))
            stack.append((active, taken))
            active = active and taken
        elif kind == "elseif":
            enclosing, done = stack[-1]
            taken = not done and bool(_directive_value(condition, constants))
            stack[-1] = (enclosing, done or taken)
            active = enclosing and taken
        elif kind == "else":
            enclosing, done = stack[-1]
            stack[-1] = (enclosing, True)
            active = enclosing and not done
        else:  # end if
            active = stack.pop()[0]
        out.append("")
    assert not stack, "an #If without #End If"
    return "\r\n".join(out)


WINDOWS_64 = {"VBA7": True, "Win64": True, "Win32": True, "Win16": False, "Mac": False}
MAC = {"VBA7": True, "Win64": False, "Win32": False, "Win16": False, "Mac": True, "MAC_OFFICE_VERSION": 16}


def vba_syntax_errors(text: str) -> list[tuple[int, int, str]]:
    """(line, column, message) of every lexer and parser error the ANTLR VBA grammar reports."""
    from antlr4 import CommonTokenStream, InputStream
    from antlr4.error.ErrorListener import ErrorListener
    from antlr4_vba.vbaLexer import vbaLexer
    from antlr4_vba.vbaParser import vbaParser

    class Collect(ErrorListener):
        def __init__(self) -> None:
            self.errors: list[tuple[int, int, str]] = []

        def syntaxError(self, recognizer, symbol, line, column, message, error):  # noqa: N802 (ANTLR's name)
            self.errors.append((line, column, message))

    errors = Collect()
    lexer = vbaLexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errors)
    parser = vbaParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    parser.startRule()
    return errors.errors


def _own_modules(path: Path) -> dict[str, str]:
    """Our modules as the workbook holds them (pyOpenVBA), CRLF line ends."""
    from pyopenvba import ExcelFile

    with ExcelFile(path) as book:
        modules = book.vba_modules()
    own = [p.stem for p in (REPO / "workbook" / "vba").glob("*.bas")] + [xlsm.RIBBON_TEXT_MODULE]
    return {name: modules[name].replace("\r\n", "\n").replace("\n", "\r\n") for name in own}


def test_own_vba_modules_parse_with_the_vba_grammar(built):
    """Ribbon and RibbonText as the workbook holds them, resolved for 64-bit Windows Office (the
    grammar is slow in Python: one platform, once)."""
    modules = _own_modules(built)
    assert set(modules) == {"Ribbon", "RibbonText"}
    for name, text in modules.items():
        assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
        assert vba_syntax_errors(resolve_conditional_compilation(text, WINDOWS_64)) == [], name


def test_the_grammar_reports_broken_vba():
    good = 'Attribute VB_Name = "M"\r\nOption Explicit\r\nSub A()\r\n    If x Then\r\n        y = 1\r\n    End If\r\nEnd Sub\r\n'
    assert vba_syntax_errors(good) == []
    assert vba_syntax_errors(good.replace("    End If\r\n", "")) != []
    assert vba_syntax_errors(good.replace("Sub A()", "Sub A(")) != []
    windows_only = good.replace("        y = 1\r\n", "#If Mac Then\r\n        y = (\r\n#Else\r\n        y = 1\r\n#End If\r\n")
    assert vba_syntax_errors(resolve_conditional_compilation(windows_only, WINDOWS_64)) == []
    assert vba_syntax_errors(resolve_conditional_compilation(windows_only, MAC)) != []


# ---------------------------------------------------------------- the generated Chinese messages

_PART = re.compile(r'"((?:[^"]|"")*)"|W\("([\d ]+)"\)|(vbLf)|(\w+)')


def _vba_value(expression: str, variables: dict[str, str]) -> str:
    """The value of a VBA string expression of literals, W("n n ...") (RibbonText's ChrW per code unit),
    vbLf and variables, joined by &."""
    value, position = "", 0
    while position < len(expression):
        match = _PART.match(expression, position)
        assert match, expression[position:]
        literal, codes, line_feed, name = match.groups()
        value += (literal.replace('""', '"') if literal is not None else "".join(chr(int(c)) for c in codes.split(" "))
                  if codes else "\n" if line_feed else variables[name])
        position = match.end()
        separator = re.match(r"\s*&\s*", expression[position:])
        if position < len(expression):
            assert separator, expression[position:]
            position += separator.end()
    return value


def _select_case(module: str, function: str, variable: str) -> dict[str, str]:
    """Case label → the string the function's Select Case builds for it."""
    body = module.split(f"Public Function {function}(")[1].split("End Function")[0]
    found: dict[str, str] = {}
    case = None
    for line in body.split("\r\n"):
        line = line.strip()
        if line.startswith('Case "'):
            case = line[6:-1]
            found[case] = ""
        elif line == "Case Else":
            case = None
        elif case and line.startswith(f"{variable} = "):
            found[case] = _vba_value(line[len(variable) + 3:], {variable: found[case]})
    return found


def test_generated_messages_read_back_as_the_utf8_source():
    text = xlsm.ribbon_text()
    module = xlsm.ribbon_text_module()
    module.encode("ascii")
    assert max(len(line) for line in module.split("\r\n")) < 1023  # VBA's line limit
    assert _select_case(module, "PyxlMessage", "s") == text.messages
    labels = {b.id: b.label for b in workbook_build.ribbon_buttons()}
    assert _select_case(module, "PyxlButtonLabel", "s") == labels


def test_vba_picks_the_cause_the_way_python_does():
    """PyxlCause (VBA) tries the same signs in the same order as RibbonText.likely_cause."""
    module = xlsm.ribbon_text_module()
    body = module.split("Public Function PyxlCause(")[1].split("End Function")[0]
    pairs = re.findall(r'sign = (.+)\r\n    If InStr\(1, logText, sign, vbBinaryCompare\) > 0 Then\r\n        PyxlCause = "(\w+)"', body)
    signs = [(cause, _vba_value(expression, {})) for expression, cause in pairs]
    assert signs == [(cause, sign) for cause, group in xlsm.ribbon_text().causes for sign in group]
    assert body.strip().endswith(f'PyxlCause = "{xlsm.CAUSE_OTHER}"')


def _ribbon_bas() -> str:
    return (REPO / "workbook" / "vba" / "Ribbon.bas").read_text(encoding="ascii")


def test_every_message_the_vba_shows_exists_and_gets_its_blanks_filled():
    messages = xlsm.ribbon_text().messages
    code = _ribbon_bas()
    used = set(re.findall(r'PyxlMessage\("(\w+)"\)', code))
    causes = {cause for cause, _ in xlsm.ribbon_text().causes} | {xlsm.CAUSE_SILENT, xlsm.CAUSE_OTHER}
    assert used | causes <= set(messages)
    assert set(messages) - used - causes == set()  # no message the VBA never shows
    # Fill(PyxlMessage("key"), a, b, ...) passes a value for every {n} of that message
    for key, arguments in re.findall(r'Fill\(PyxlMessage\("(\w+)"\),((?:[^()]|\([^()]*(?:\([^()]*\))?[^()]*\))*)\)', code):
        count = len([a for a in re.split(r",(?![^(]*\))", arguments) if a.strip()])
        wanted = {int(n) for n in re.findall(r"\{(\d+)\}", messages[key])}
        assert wanted == set(range(count)), (key, wanted, count)
    for cause in causes:  # the cause line is filled with the interpreter
        assert set(re.findall(r"\{(\d+)\}", messages[cause])) <= {"0"}


def test_every_procedure_the_ribbon_calls_is_defined(built):
    """Ribbon.bas calls RibbonText's functions, its own, and xlwings' RunPython: each is defined once."""
    from pyopenvba import ExcelFile

    with ExcelFile(built) as book:
        modules = book.vba_modules()
    defined: dict[str, int] = {}
    for text in modules.values():
        for name in re.findall(r"^(?:Public |Private )?(?:Sub|Function) (\w+)\(", text, re.M):
            defined[name] = defined.get(name, 0) + 1
    ribbon = modules["Ribbon"]
    called = set(re.findall(r"\b(Pyxl\w+|RunPython|RunOnWindows|StartPython|Preflight|FindWorkspace|ReadConf|ConfValue|"
                            r"UnsafeChars|DropXlwingsError|WriteStartLog|NewToken|Fill|Expand|Fso)\b", ribbon))
    assert {"PyxlMessage", "PyxlCause", "PyxlButtonLabel", "RunPython", "Preflight"} <= called
    assert {name: defined.get(name, 0) for name in called} == {name: 1 for name in called}


def _failed_start(code: str) -> str:
    """What a Python without site-packages' .pth files (so without an installed pyxl) prints for `code`."""
    run = subprocess.run([sys.executable, "-S", "-B", "-c", code], capture_output=True, text=True, timeout=60, cwd="/",
                         env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")})
    assert run.returncode != 0
    return run.stderr


def test_likely_cause_of_a_python_without_pyxl_or_xlwings():
    """Real tracebacks: RunPython's first import (xlwings.utils) in a Python without xlwings, and then pyxl's."""
    text = xlsm.ribbon_text()
    log = _failed_start("import xlwings.utils")
    assert "No module named 'xlwings'" in log
    assert text.likely_cause(log) == "cause_no_pyxl"
    site_packages = str(XLWINGS_BAS.parent.parent)  # xlwings there, pyxl only through an editable .pth
    log = _failed_start(f"import sys; sys.path.append({site_packages!r}); import xlwings.utils; import pyxl.excel")
    assert "No module named 'pyxl'" in log
    assert text.likely_cause(log) == "cause_no_pyxl"


# ---------------------------------------------------------------- xlwings.conf


def xlwings_reads_conf(rows: list[list]) -> dict[str, object]:
    """xlwings' GetConfigFromSheet: A1 down to the first blank, UCase(key) into a Dictionary (Add refuses a repeat)."""
    conf: dict[str, object] = {}
    for row in rows:
        key = master.cell_str(row[0]) if row else ""
        if not key:
            break
        if key.upper() in conf:
            raise KeyError(f"VBA error 457: {key}")  # "This key is already associated with an element of this collection"
        conf[key.upper()] = row[1] if len(row) > 1 else None
    return conf


def test_conf_keys_merge_ignoring_case_in_xlwings_spelling():
    saved = {"INTERPRETER_WIN": r"C:\old\pythonw.exe", "pythonpath": r"C:\old", "Show Console": True,
             "My Key": "x", "MY KEY": "y"}
    rows = workbook_build.conf_rows(saved, {"Interpreter_Win": r"C:\new\pythonw.exe"})
    conf = xlwings_reads_conf(rows)
    assert conf["INTERPRETER_WIN"] == r"C:\new\pythonw.exe"
    assert conf["PYTHONPATH"] == r"C:\old"
    assert conf["SHOW CONSOLE"] is True and conf["MY KEY"] == "y"
    spelled = [row[0] for row in rows]
    assert "Interpreter_Win" in spelled and "PYTHONPATH" in spelled and "My Key" in spelled
    assert conf["SHOW_ERROR_POPUPS"] == "False"  # a failed start goes to the Error sheet the VBA reads
    with pytest.raises(KeyError):  # what the old case-sensitive merge gave xlwings
        xlwings_reads_conf([["Interpreter_Win", "a"], ["INTERPRETER_WIN", "b"]])


def test_excel_setup_mends_a_conf_with_a_key_in_two_spellings(settings):
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    content = workbook_build.MasterContent.from_rows(master.read_master(settings.workbook_path))
    content.conf.insert(1, ["INTERPRETER_WIN", r"C:\Python39\pythonw.exe"])  # typed in by hand on some PC
    settings.workbook_path.write_bytes(xlsm.build_package(content.sheets()))
    with pytest.raises(KeyError):
        xlwings_reads_conf(master.read_master(settings.workbook_path).rows("xlwings.conf"))
    pipeline.excel_setup(Workspace.load(settings), now=NOW)
    conf = xlwings_reads_conf(master.read_master(settings.workbook_path).rows("xlwings.conf"))
    assert conf["INTERPRETER_WIN"] == sys.executable
    rows = master.read_master(settings.workbook_path).rows("xlwings.conf")
    assert [row[0] for row in rows if str(row[0]).upper() == "INTERPRETER_WIN"] == ["Interpreter_Win"]


def test_interpreter_under_the_users_folder_is_written_relative_to_it(tmp_path):
    local = tmp_path / "Users" / "张伟" / "AppData" / "Local"
    python = local / "Programs" / "Python" / "Python311"
    python.mkdir(parents=True)
    (python / "python.exe").write_bytes(b"")
    (python / "pythonw.exe").write_bytes(b"")
    package = tmp_path / "督查室" / "程序" / "pyxl"
    environ = {"LOCALAPPDATA": str(local), "USERPROFILE": str(tmp_path / "Users" / "张伟")}
    conf = workbook_build.machine_conf(str(python / "python.exe"), "win32", environ=environ, package=package)
    assert conf["Interpreter_Win"] == "%LOCALAPPDATA%" + str(python / "pythonw.exe")[len(str(local)):]
    assert conf["PYTHONPATH"] == str(package.parent)  # not under a portable folder: as it is
    assert workbook_build.expand_portable(conf["Interpreter_Win"], environ) == str(python / "pythonw.exe")
    other_user = {"LOCALAPPDATA": r"C:\Users\李娜\AppData\Local"}
    assert workbook_build.expand_portable(conf["Interpreter_Win"], other_user).startswith(r"C:\Users\李娜\AppData\Local")
    assert workbook_build.portable_path(r"C:\Program Files\Python311\pythonw.exe", {"ProgramFiles": "C:\\Program Files"}) \
        == r"%ProgramFiles%\Python311\pythonw.exe"
    assert workbook_build.portable_path(r"D:\Python311\pythonw.exe", environ) == r"D:\Python311\pythonw.exe"


# ---------------------------------------------------------------- the command line RunPython builds


# The lines of the installed xlwings.bas that xlwings_command_line mirrors: if xlwings changes
# them, this test fails and the mirror must follow.
XLWINGS_LINES = [
    'PYTHONPATH = AddExcelDir & ";" & ActiveFullName & ";" & ThisFullName & ";" & GetConfig("ONEDRIVE_CONSUMER_WIN") '
    '& ";" & GetConfig("ONEDRIVE_COMMERCIAL_WIN") & ";" & GetConfig("SHAREPOINT_WIN") & ";" & GetConfig("PYTHONPATH")',
    'LOG_FILE = TempDir & "\\xlwings-" & CreateGUID() & ".log"',
    'If Not IsFrozen And (PYTHON_WIN <> "python" And PYTHON_WIN <> "pythonw") Then',
    'DriveCommand = Left$(PYTHON_WIN, 2) & " & cd """ & PythonDir & """ & "',
    'PythonInterpreter = Chr(34) & PYTHON_WIN & Chr(34)',
    'PYTHONPATH = Replace(PYTHONPATH, "&", "^&")',
    'PYTHONPATH = Replace(PYTHONPATH, "\\", "\\\\")',
    'RunCommand = CondaCmd & PythonInterpreter & " -B -c ""import xlwings.utils;xlwings.utils.prepare_sys_path(\\""" '
    '& PYTHONPATH & "\\""); " & PythonCommand & """ "',
    'ExitCode = WScript.Run("cmd.exe /C " & DriveCommand & _',
    '" --wb=" & """" & ThisWorkbook.Name & """ --from_xl=1" & " --app=" & Chr(34) & _',
    'Application.Path & "\\" & Application.Name & Chr(34) & " --hwnd=" & Chr(34) & Application.Hwnd & Chr(34) & _',
    '" 2> """ & LOG_FILE & """ ", _',
]


def test_the_mirrored_lines_are_xlwings_own():
    code = [line.strip() for line in XLWINGS_BAS.read_text(encoding="ascii").splitlines()]
    for line in XLWINGS_LINES:
        assert line in code, line


def _expand(text: str, environ: dict[str, str]) -> str:
    """WScript.Shell.ExpandEnvironmentStrings: %NAME% of a set variable replaced, others left."""
    return re.sub(r"%([^%]+)%", lambda m: environ.get(m.group(1), m.group(0)), text)


def xlwings_command_line(interpreter: str, python_path: str, fullname: str, python_command: str,
                         environ: dict[str, str]) -> str:
    """What xlwings' RunPython/ExecuteWindows hand to WScript.Shell.Run, built as XLWINGS_LINES do."""
    interpreter, python_path = _expand(interpreter, environ), _expand(python_path, environ)
    path = ";".join(["true", fullname, fullname, "", "", "", python_path])
    log_file = environ["TEMP"] + "\\xlwings-0C5D2E4A.log"
    drive = ""
    if interpreter not in ("python", "pythonw"):
        folder = interpreter[: interpreter.rfind("\\")]
        if re.match(r"[A-Za-z]:", interpreter[:2]):
            drive = interpreter[:2] + ' & cd "' + folder + '" & '
        elif interpreter.startswith("\\\\"):
            drive = 'pushd "' + folder + '" & '
        program = '"' + interpreter + '"'
    else:
        program = "python"
    path = path.replace("&", "^&").replace("\\", "\\\\")
    run = program + ' -B -c "import xlwings.utils;xlwings.utils.prepare_sys_path(\\"' + path + '\\"); ' + python_command + '" '
    name = re.split(r"[\\/]", fullname)[-1]
    return ("cmd.exe /C " + drive + run + ' --wb="' + name + '" --from_xl=1 --app="'
            + r"C:\Program Files\Microsoft Office\root\Office16" + "\\" + "Microsoft Excel" + '" --hwnd="'
            + "132456" + '"' + ' 2> "' + log_file + '" ')


def cmd_commands(line: str, environ: dict[str, str]) -> tuple[list[str], str | None]:
    """cmd.exe /C's reading of a line: %NAME% expanded, split at & outside quotes, ^ escapes
    outside quotes taken off; returns the commands and the file stderr goes to (2> "...")."""
    assert line.startswith("cmd.exe /C ")
    line = _expand(line[len("cmd.exe /C "):], {k.upper(): v for k, v in environ.items()} | environ)
    commands, current, quoted, index = [], "", False, 0
    redirect = None
    while index < len(line):
        char = line[index]
        if char == '"':
            quoted = not quoted
            current += char
        elif not quoted and char == "^" and index + 1 < len(line):
            index += 1
            current += line[index]
        elif not quoted and char == "&":
            commands.append(current.strip())
            current = ""
        elif not quoted and line.startswith("2>", index) and current.endswith(" "):
            target = re.match(r'2>\s*"([^"]*)"', line[index:])
            assert target, line[index:]
            redirect = target.group(1)
            index += target.end()
            continue
        else:
            current += char
        index += 1
    commands.append(current.strip())
    assert not quoted, "a quote left open"
    return [command for command in commands if command], redirect


def _vba_python_command(button_id: str, token: str) -> str:
    """The Python command Ribbon.bas passes to RunPython, evaluated from its VBA source."""
    code = _ribbon_bas()
    expression = re.search(r"^    PyxlCommand = (.+)$", code, re.M).group(1)
    return _vba_value(expression, {"stepId": button_id, "token": token})


def _python_argv(line: str, environ: dict[str, str]) -> tuple[list[str], list[str], str | None]:
    commands, redirect = cmd_commands(line, environ)
    *before, python = commands
    return before, mslex.split(python, like_cmd=False, ucrt=True), redirect


def _prepare_sys_path_argument(code: str) -> str:
    call = ast.parse(code).body[1].value
    assert ast.unparse(call.func) == "xlwings.utils.prepare_sys_path"
    return call.args[0].value


def test_ribbon_asks_python_to_report_back_where_vba_looks():
    code = _ribbon_bas()
    assert re.search(r'Private Const REPORT_PREFIX As String = "(.+)"', code).group(1) == excel.REPORT_PREFIX
    assert 'report = Expand("%TEMP%") & "\\" & REPORT_PREFIX & token & ".txt"' in code
    assert excel.report_path("2025070109300012345", {"TEMP": r"/tmp/临时"}) == Path("/tmp/临时/pyxl-ribbon-2025070109300012345.txt")
    assert _vba_python_command("collect_returns", "123") == "import pyxl.excel; pyxl.excel.dispatch('collect_returns', '123')"
    with pytest.raises(ValueError):
        excel.report_path("..\\x")
    unsafe = re.search(r'Private Const UNSAFE_PATH_CHARS As String = "(.*)"\r?$', code, re.M).group(1).replace('""', '"')
    assert unsafe == workbook_build.UNSAFE_PATH_CHARS


WINDOWS_ENV = {"TEMP": r"C:\Users\张伟\AppData\Local\Temp", "LOCALAPPDATA": r"C:\Users\张伟\AppData\Local",
               "USERPROFILE": r"C:\Users\张伟"}


@pytest.mark.parametrize(
    "workspace, program",
    [
        (r"D:\督查室", r"D:\督查室\程序"),
        (r"D:\督查室\2025年 重点工作(上半年)", r"C:\Program Files (x86)\pyxl & 工具"),
        (r"\\档案服务器\共享\督查室", r"D:\O'Brien\程序"),
        (r"D:\A&B\督查 室", r"%USERPROFILE%\程序"),
    ],
)
def test_a_chinese_workspace_survives_cmd_and_the_c_runtime(workspace, program):
    interpreter = r"%LOCALAPPDATA%\Programs\Python\Python311\pythonw.exe"
    fullname = workspace + r"\workbook\Responsibilities.xlsm"
    command = _vba_python_command("split_sheets", "20250701093000123456")
    line = xlwings_command_line(interpreter, program, fullname, command, WINDOWS_ENV)
    before, argv, redirect = _python_argv(line, WINDOWS_ENV)
    python_dir = r"C:\Users\张伟\AppData\Local\Programs\Python\Python311"
    assert before == ["C:", f'cd "{python_dir}"']
    assert argv[0] == python_dir + r"\pythonw.exe"
    assert argv[1:3] == ["-B", "-c"]
    assert argv[4:] == ["--wb=Responsibilities.xlsm", "--from_xl=1",
                        r"--app=C:\Program Files\Microsoft Office\root\Office16\Microsoft Excel", "--hwnd=132456"]
    assert redirect == WINDOWS_ENV["TEMP"] + r"\xlwings-0C5D2E4A.log"
    code = argv[3]
    expected_program = _expand(program, WINDOWS_ENV)
    assert _prepare_sys_path_argument(code).split(";") == ["true", fullname, fullname, "", "", "", expected_program]
    dispatch = ast.parse(code).body[-1].value
    assert ast.unparse(dispatch) == "pyxl.excel.dispatch('split_sheets', '20250701093000123456')"
    for path in (fullname, expected_program, argv[0]):
        assert workbook_build.unsafe_path_chars(path) == ""


@pytest.mark.parametrize("folder", [r"D:\100%进度%完成", r"D:\督查^室", "D:\\督查室\\"])
def test_paths_the_checks_refuse_would_not_survive(folder):
    """Why UNSAFE_PATH_CHARS: with %NAME% (of a set variable) or ^ in a folder, or a trailing
    backslash, Python gets another path or none at all."""
    environ = {**WINDOWS_ENV, "进度": "X"}
    line = xlwings_command_line(r"C:\Python311\pythonw.exe", folder, r"D:\督查室\workbook\Responsibilities.xlsm",
                                _vba_python_command("split_sheets", "1"), environ)
    assert workbook_build.unsafe_path_chars(folder) != ""
    try:
        _, argv, _ = _python_argv(line, environ)
        survived = _prepare_sys_path_argument(argv[3]).split(";")[-1] == folder
    except (SyntaxError, ValueError):
        survived = False
    assert not survived


# ---------------------------------------------------------------- a Chinese workspace, end to end


def _installed_copy(folder: Path) -> Path:
    """pyxl laid out as pip installs it (pyxl/, pyxl/workbook/, pyxl/templates/) in `folder`."""
    package = folder / "pyxl"
    shutil.copytree(REPO / "pyxl", package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "workbook", package / "workbook", ignore=shutil.ignore_patterns("__pycache__", "*.xlsm"))
    shutil.copytree(REPO / "templates", package / "templates", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(LANG="C.UTF-8", LC_ALL="C.UTF-8", **extra)
    return env


@pytest.mark.slow
def test_a_button_runs_from_a_chinese_workspace_through_the_command_line_vba_builds(tmp_path):
    root = tmp_path / "督查室"
    pipeline.init_workspace(root)
    use_example_document(root)
    program = _installed_copy(tmp_path / "督查室" / "程序")
    temp = tmp_path / "临时 文件"
    temp.mkdir()
    # excel-setup as the clerk runs it, from the copy of pyxl in the Chinese folder
    setup = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(program)!r}); from pyxl.cli import main; "
                               "built = main(['build-workbook']); sys.exit(main(['excel-setup']) if built in (0, 1) else built)"],
        cwd=root, capture_output=True, text=True, timeout=300, env=_clean_env(),
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    workbook = root / "workbook" / "Responsibilities.xlsm"
    conf = xlwings_reads_conf(master.read_master(workbook).rows("xlwings.conf"))
    assert conf["PYTHONPATH"] == str(program)
    assert conf["INTERPRETER_WIN"] == sys.executable

    # Excel's side: the fake caller book, an opener for the folder, TEMP in a Chinese folder
    log = tmp_path / "excel.jsonl"
    opener = tmp_path / "bin" / "xdg-open"
    opener.parent.mkdir()
    opener.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    opener.chmod(opener.stat().st_mode | stat.S_IEXEC)
    env = _clean_env(TEMP=str(temp), PYTHONPATH=str(DATA / "ribbon" / "fake_excel"), PYXL_FAKE_EXCEL_LOG=str(log),
                     PYXL_FAKE_EXCEL_FOLDER=str(workbook.parent), PATH=f"{opener.parent}{os.pathsep}{os.environ['PATH']}")
    token = "20250701093000123456"
    line = xlwings_command_line(conf["INTERPRETER_WIN"], conf["PYTHONPATH"], str(workbook),
                                _vba_python_command("open_output_folder", token), env)
    _, argv, redirect = _python_argv(line, env)
    with open(redirect, "w", encoding="utf-8") as stderr:
        run = subprocess.run(argv, stderr=stderr, cwd=Path(argv[0]).parent, env=env, timeout=300)
    assert run.returncode == 0, Path(redirect).read_text(encoding="utf-8")
    assert (temp / f"pyxl-ribbon-{token}.txt").read_text(encoding="utf-8") == "done\n"  # where the VBA looks
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    alerts = [entry for entry in entries if "alert" in entry]
    assert [entry["alert"] for entry in alerts] == [f"输出文件夹：{root / 'out' / '2025-06'}"]
    assert alerts[0]["pyxl"] == str(program / "pyxl" / "__init__.py")  # pyxl came from the Chinese PYTHONPATH
    assert (root / "out" / "2025-06").is_dir()


@pytest.mark.slow
def test_a_python_without_pyxl_leaves_no_report_and_a_log_that_names_it(tmp_path):
    system_python = "/usr/bin/python3"
    if not Path(system_python).exists():
        pytest.skip("needs a second Python without pyxl (Debian's /usr/bin/python3)")
    temp = tmp_path / "临时"
    temp.mkdir()
    env = _clean_env(TEMP=str(temp))
    token = "7"
    line = xlwings_command_line(system_python, str(tmp_path / "督查室" / "程序"),
                                str(tmp_path / "督查室" / "workbook" / "Responsibilities.xlsm"),
                                _vba_python_command("collect_returns", token), env)
    _, argv, redirect = _python_argv(line, env)
    with open(redirect, "w", encoding="utf-8") as stderr:
        run = subprocess.run(argv, stderr=stderr, env=env, timeout=120)
    assert run.returncode != 0  # xlwings shows ShowError(LOG_FILE): with SHOW_ERROR_POPUPS False, in the Error sheet
    assert not (temp / f"pyxl-ribbon-{token}.txt").exists()
    assert xlsm.ribbon_text().likely_cause(Path(redirect).read_text(encoding="utf-8")) == "cause_no_pyxl"


def test_excel_setup_warns_about_a_folder_name_the_command_line_would_change(tmp_path):
    root = tmp_path / "完成100%^进度"
    pipeline.init_workspace(root)
    use_example_document(root)
    settings = load_settings(root / "config.yaml")
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    result = pipeline.excel_setup(Workspace.load(settings), now=NOW)
    warnings = [line for line in result.summary if line.startswith("注意")]
    assert len(warnings) == 1 and "%^" in warnings[0] and str(settings.workbook_path) in warnings[0]
    quiet = tmp_path / "督查室 (2025)"
    pipeline.init_workspace(quiet)
    use_example_document(quiet)
    settings = load_settings(quiet / "config.yaml")
    pipeline.build_workbook(Workspace.load(settings), now=NOW)
    assert not [line for line in pipeline.excel_setup(Workspace.load(settings), now=NOW).summary if line.startswith("注意")]
