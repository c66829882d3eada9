"""Calibration against published figures: ABC-SMC with pyabc (``skywatch calibrate``)."""
