"""Reference solutions to the exercises at the end of the lesson pages (each page's
`*.exercises.md`); tests/test_exercises.py checks each one."""
