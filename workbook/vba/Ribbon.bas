Attribute VB_Name = "Ribbon"
Option Explicit

' The one callback of every button on the ribbon tab (see customUI/customUI14.xml).
' The button id is the name of the Python step, so a new button needs one XML
' element and one Python function, and no VBA. Keep this file ASCII: VBA source
' is stored in the ANSI code page, and Chinese text would turn to mojibake.
Public Sub OnPyxlButton(control As IRibbonControl)
    RunPython "import pyxl.excel; pyxl.excel.dispatch('" & control.Id & "')"
End Sub
