"""The desktop app: the only package that imports PySide6.

Widgets render state and forward intents; `controller.Controller` owns the engine and every
asyncio task (one qasync loop); the step logic stays in app.core and app.engine.
"""
