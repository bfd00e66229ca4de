Attribute VB_Name = "Ribbon"
Option Explicit

' The one callback of every button on the ribbon tab (see customUI/customUI14.xml).
' The button id is the name of the Python step, so a new button needs one XML
' element and one Python function, and no VBA. Keep this file ASCII: VBA source
' is stored in the ANSI code page, and Chinese text would turn to mojibake. The
' Chinese messages come from the module RibbonText, which the build generates
' from workbook/vba/messages.yaml (PyxlMessage, PyxlCause, PyxlButtonLabel).
'
' On Windows, before Python starts, this checks what VBA can see: the workbook
' sits in a workspace (config.yaml beside its folder, as pyxl looks for it) and
' xlwings.conf names an interpreter that exists on this PC, so a workbook copied
' to another PC says "run pyxl excel-setup here" instead of xlwings' English
' "Could not find Interpreter!". After RunPython it checks that pyxl reported
' back: pyxl.excel.dispatch writes %TEMP%\pyxl-ribbon-<token>.txt when the step
' has run. No report means Python did not start or died first; what xlwings
' captured (its "Error" sheet, as xlwings.conf sets SHOW_ERROR_POPUPS to False)
' goes into the workspace's logs\excel-python.log and the message names the
' likely cause.

Private Const REPORT_PREFIX As String = "pyxl-ribbon-"
Private Const START_LOG As String = "excel-python.log"
Private Const CONF_SHEET As String = "xlwings.conf"
Private Const XLWINGS_ERROR_SHEET As String = "Error"
' cmd.exe expands %NAME% and drops ^ outside quotes, where xlwings puts the workbook's path
' and PYTHONPATH; a path ending in \ breaks the Python string they go into.
' pyxl.master.build.UNSAFE_PATH_CHARS is the same list.
Private Const UNSAFE_PATH_CHARS As String = "%^"

Public Sub OnPyxlButton(control As IRibbonControl)
    RunPyxlStep control.Id
End Sub

' The Python command RunPython runs for one button; token names the report file.
Public Function PyxlCommand(ByVal stepId As String, ByVal token As String) As String
    PyxlCommand = "import pyxl.excel; pyxl.excel.dispatch('" & stepId & "', '" & token & "')"
End Function

Public Sub RunPyxlStep(ByVal stepId As String)
#If Mac Then
    ' No Scripting runtime on a Mac: xlwings reports its own errors there.
    RunPython PyxlCommand(stepId, "")
#Else
    RunOnWindows stepId
#End If
End Sub

Private Sub RunOnWindows(ByVal stepId As String)
    Dim workspace As String, interpreter As String, problem As String
    Dim token As String, report As String, failure As String, logPath As String

    ' Checking needs the Scripting runtime; a PC that blocks it gets the same message as a blocked start.
    On Error GoTo CheckFailed
    problem = Preflight(workspace, interpreter)
    On Error GoTo 0
    If Len(problem) > 0 Then
        MsgBox problem, vbExclamation, PyxlMessage("title")
        Exit Sub
    End If

    token = NewToken()
    report = Expand("%TEMP%") & "\" & REPORT_PREFIX & token & ".txt"
    DropXlwingsError
    failure = StartPython(PyxlCommand(stepId, token))
    If Len(failure) > 0 Then
        logPath = WriteStartLog(workspace, stepId, interpreter, failure)
        MsgBox Fill(PyxlMessage("start_failed"), failure, workspace, logPath), vbCritical, PyxlMessage("title")
        Exit Sub
    End If
    If Fso().FileExists(report) Then
        On Error Resume Next
        Fso().DeleteFile report, True
        Exit Sub
    End If

    failure = DropXlwingsError()
    logPath = WriteStartLog(workspace, stepId, interpreter, failure)
    MsgBox Fill(PyxlMessage("no_answer"), PyxlButtonLabel(stepId), _
                Fill(PyxlMessage(PyxlCause(failure)), interpreter), logPath, workspace), _
           vbCritical, PyxlMessage("title")
    Exit Sub

CheckFailed:
    failure = "VBA " & Err.Number & ": " & Err.Description
    logPath = WriteStartLog(workspace, stepId, interpreter, failure)
    MsgBox Fill(PyxlMessage("start_failed"), failure, workspace, logPath), vbCritical, PyxlMessage("title")
End Sub

' "" when RunPython returned; otherwise the VBA error that stopped it, such as a
' policy that keeps Office from starting cmd.exe (WScript.Shell.Run fails).
Private Function StartPython(ByVal pythonCode As String) As String
    On Error GoTo Failed
    RunPython pythonCode
    StartPython = ""
    Exit Function
Failed:
    StartPython = "VBA " & Err.Number & ": " & Err.Description
End Function

' The Chinese message for what keeps this PC from running pyxl, or "".
Private Function Preflight(ByRef workspace As String, ByRef interpreter As String) As String
    Dim conf As Object, duplicate As String, pythonPath As String, entry As Variant, bad As String

    If Len(ThisWorkbook.Path) = 0 Or InStr(ThisWorkbook.FullName, "://") > 0 Then
        Preflight = Fill(PyxlMessage("not_local"), ThisWorkbook.FullName)
        Exit Function
    End If
    workspace = FindWorkspace(ThisWorkbook.Path)
    If Len(workspace) = 0 Then
        Preflight = Fill(PyxlMessage("no_workspace"), ThisWorkbook.Path)
        Exit Function
    End If

    Set conf = ReadConf(duplicate)
    If conf Is Nothing Then
        Preflight = Fill(PyxlMessage("no_conf_sheet"), workspace)
        Exit Function
    End If
    If Len(duplicate) > 0 Then
        Preflight = Fill(PyxlMessage("conf_duplicate"), duplicate, workspace)
        Exit Function
    End If

    interpreter = ConfValue(conf, "INTERPRETER_WIN")
    If Len(interpreter) = 0 Then interpreter = ConfValue(conf, "INTERPRETER")
    interpreter = Expand(interpreter)
    If Len(interpreter) = 0 Or LCase$(interpreter) = "python" Or LCase$(interpreter) = "pythonw" Then
        Preflight = Fill(PyxlMessage("not_set_up"), workspace)
        Exit Function
    End If
    If Not Fso().FileExists(interpreter) Then
        Preflight = Fill(PyxlMessage("interpreter_missing"), interpreter, workspace)
        Exit Function
    End If

    pythonPath = Expand(ConfValue(conf, "PYTHONPATH"))
    For Each entry In Split(pythonPath, ";")
        If Len(entry) > 0 Then
            If Not Fso().FolderExists(entry) Then
                Preflight = Fill(PyxlMessage("pythonpath_missing"), entry, workspace)
                Exit Function
            End If
            bad = UnsafeChars(CStr(entry))
            If Len(bad) > 0 Then
                Preflight = Fill(PyxlMessage("unsafe_path"), bad, entry)
                Exit Function
            End If
        End If
    Next entry
    bad = UnsafeChars(ThisWorkbook.FullName)
    If Len(bad) > 0 Then
        Preflight = Fill(PyxlMessage("unsafe_path"), bad, ThisWorkbook.FullName)
        Exit Function
    End If
    bad = UnsafeChars(interpreter)
    If Len(bad) > 0 Then Preflight = Fill(PyxlMessage("unsafe_path"), bad, interpreter)
End Function

' The workspace folder: the workbook's folder or one of the two above it with config.yaml
' (pyxl.excel.find_config looks in the same places).
Private Function FindWorkspace(ByVal folder As String) As String
    Dim level As Integer
    For level = 0 To 2
        If Len(folder) = 0 Then Exit Function
        If Fso().FileExists(folder & "\config.yaml") Then
            FindWorkspace = folder
            Exit Function
        End If
        folder = Fso().GetParentFolderName(folder)
    Next level
End Function

' xlwings.conf as xlwings reads it (A1 down to the first blank, keys upper-cased);
' Nothing without the sheet. duplicate names a key written twice, which would stop
' xlwings' own reading with error 457.
Private Function ReadConf(ByRef duplicate As String) As Object
    Dim sheet As Worksheet, conf As Object, values As Variant, last As Long, i As Long, key As String
    On Error Resume Next
    Set sheet = ThisWorkbook.Worksheets(CONF_SHEET)
    On Error GoTo 0
    If sheet Is Nothing Then Exit Function
    Set conf = CreateObject("Scripting.Dictionary")
    If Len(CStr(sheet.Range("A2").Value)) = 0 Then
        last = 1
    Else
        last = sheet.Range("A1").End(xlDown).Row
    End If
    values = sheet.Range(sheet.Cells(1, 1), sheet.Cells(last, 2)).Value
    For i = 1 To last
        key = UCase$(CStr(values(i, 1)))
        If conf.Exists(key) Then
            duplicate = CStr(values(i, 1))
            Exit For
        End If
        conf.Add key, values(i, 2)
    Next i
    Set ReadConf = conf
End Function

Private Function ConfValue(ByVal conf As Object, ByVal key As String) As String
    If conf.Exists(key) Then
        If Not IsError(conf(key)) Then ConfValue = Trim$(CStr(conf(key)))
    End If
End Function

' The characters of UNSAFE_PATH_CHARS in path, or "".
Private Function UnsafeChars(ByVal path As String) As String
    Dim i As Integer, c As String
    For i = 1 To Len(UNSAFE_PATH_CHARS)
        c = Mid$(UNSAFE_PATH_CHARS, i, 1)
        If InStr(path, c) > 0 Then UnsafeChars = UnsafeChars & c
    Next i
    If Right$(path, 1) = "\" Then UnsafeChars = UnsafeChars & "\"
End Function

' The text xlwings wrote into its "Error" sheet (SHOW_ERROR_POPUPS False), and the sheet removed.
Private Function DropXlwingsError() As String
    Dim sheet As Worksheet
    On Error Resume Next
    Set sheet = ThisWorkbook.Worksheets(XLWINGS_ERROR_SHEET)
    If sheet Is Nothing Then Exit Function
    DropXlwingsError = CStr(sheet.Range("A1").Value)
    Application.DisplayAlerts = False
    sheet.Delete
    Application.DisplayAlerts = True
End Function

' Appends what went wrong to <workspace>\logs\excel-python.log (UTF-16), or to %TEMP% when
' no workspace was found; returns its path.
Private Function WriteStartLog(ByVal workspace As String, ByVal stepId As String, _
                               ByVal interpreter As String, ByVal failure As String) As String
    Dim folder As String, path As String, stream As Object
    On Error GoTo Failed
    If Len(workspace) > 0 Then folder = workspace & "\logs" Else folder = Expand("%TEMP%")
    If Not Fso().FolderExists(folder) Then Fso().CreateFolder folder
    path = folder & "\" & START_LOG
    Set stream = Fso().OpenTextFile(path, 8, True, -1)
    stream.WriteLine Format$(Now, "yyyy-mm-dd hh:nn:ss") & "  " & stepId & "  " & interpreter
    stream.WriteLine "Workbook: " & ThisWorkbook.FullName
    stream.WriteLine failure
    stream.WriteLine String$(60, "-")
    stream.Close
    WriteStartLog = path
    Exit Function
Failed:
    WriteStartLog = path & " (" & Err.Description & ")"
End Function

Private Function NewToken() As String
    Randomize
    NewToken = Format$(Now, "yyyymmddhhnnss") & Format$(Int(Rnd() * 1000000), "000000")
End Function

Private Function Fill(ByVal text As String, ParamArray values() As Variant) As String
    Dim i As Integer
    For i = LBound(values) To UBound(values)
        text = Replace(text, "{" & i & "}", CStr(values(i)))
    Next i
    Fill = text
End Function

' %NAME% replaced by the environment variable, as xlwings expands xlwings.conf values.
Private Function Expand(ByVal text As String) As String
    Dim parts() As String, i As Integer
    On Error GoTo NoShell
    Expand = CreateObject("WScript.Shell").ExpandEnvironmentStrings(text)
    Exit Function
NoShell:
    parts = Split(text, "%")  ' odd parts sit between two % signs
    For i = 0 To UBound(parts)
        If i Mod 2 = 1 And i < UBound(parts) And Len(Environ$(parts(i))) > 0 Then
            Expand = Expand & Environ$(parts(i))
        ElseIf i Mod 2 = 1 Then
            Expand = Expand & "%" & parts(i) & IIf(i < UBound(parts), "%", "")
        Else
            Expand = Expand & parts(i)
        End If
    Next i
End Function

Private Function Fso() As Object
    Static instance As Object
    If instance Is Nothing Then Set instance = CreateObject("Scripting.FileSystemObject")
    Set Fso = instance
End Function
