"""What every app shares and no app owns: the error type, the error body, the exception handler
and the signals through which one app learns of another's events. Imports no app."""
