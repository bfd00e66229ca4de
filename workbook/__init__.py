"""Sources of the master workbook (VBA, ribbon XML). This folder is data, shipped as pyxl.workbook."""
