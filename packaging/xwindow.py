"""Watch an X server for the first top-level window a program shows; no app hook needed.

Used by benchmarks/startup.py (time to first window), packaging/screenshot.py and the
packaged-app GUI test. Talks to libX11 through ctypes (no python-xlib), so it runs from
the plain venv against Xvfb or a real X display.

"Shown" has two moments, both reported:
- mapped:  the X server maps a new top-level, non-override-redirect window (MapNotify
           on the root window);
- painted: pixels inside that window no longer show what was on the screen before the
           program started (the client has drawn its first frame).

    with Watcher(":97") as watch:
        watch.arm()                                  # snapshot the screen, subscribe
        started = time.perf_counter(); proc = subprocess.Popen([...])
        shown = watch.wait_first_window(timeout=30)  # Shown(window, mapped, painted, ...)
        # seconds to first window: shown.painted - started
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import time
from dataclasses import dataclass

MAP_NOTIFY = 19
SUBSTRUCTURE_NOTIFY_MASK = 1 << 19
Z_PIXMAP = 2
ALL_PLANES = 0xFFFFFFFF


class _XMapEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("event", ctypes.c_ulong),
        ("window", ctypes.c_ulong),
        ("override_redirect", ctypes.c_int),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("xmap", _XMapEvent), ("pad", ctypes.c_long * 24)]


class _XWindowAttributes(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("border_width", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("visual", ctypes.c_void_p),
        ("root", ctypes.c_ulong),
        ("class_", ctypes.c_int),
        ("bit_gravity", ctypes.c_int),
        ("win_gravity", ctypes.c_int),
        ("backing_store", ctypes.c_int),
        ("backing_planes", ctypes.c_ulong),
        ("backing_pixel", ctypes.c_ulong),
        ("save_under", ctypes.c_int),
        ("colormap", ctypes.c_ulong),
        ("map_installed", ctypes.c_int),
        ("map_state", ctypes.c_int),
        ("all_event_masks", ctypes.c_long),
        ("your_event_mask", ctypes.c_long),
        ("do_not_propagate_mask", ctypes.c_long),
        ("override_redirect", ctypes.c_int),
        ("screen", ctypes.c_void_p),
    ]


_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


@dataclass(frozen=True)
class Shown:
    window: int
    title: str
    width: int
    height: int
    mapped: float  # time.perf_counter() when the map was seen
    painted: float | None  # ... when its first frame was seen (None: not within the timeout)


class XUnavailable(RuntimeError):
    """No libX11 or no X server at the display."""


class Watcher:
    def __init__(self, display: str | None = None) -> None:
        name = ctypes.util.find_library("X11") or "libX11.so.6"
        try:
            self._x = ctypes.CDLL(name)
        except OSError as exc:
            raise XUnavailable(f"libX11 not loadable: {exc}") from None
        x = self._x
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
        x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XPending.argtypes = [ctypes.c_void_p]
        x.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.POINTER(_XEvent)]
        x.XConnectionNumber.argtypes = [ctypes.c_void_p]
        x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        x.XGetWindowAttributes.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.POINTER(_XWindowAttributes),
        ]
        x.XFetchName.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_char_p)]
        x.XFree.argtypes = [ctypes.c_void_p]
        x.XInternAtom.restype = ctypes.c_ulong
        x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        x.XGetWindowProperty.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long, ctypes.c_long,
            ctypes.c_int, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_ulong),
            ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_void_p),
        ]  # fmt: skip
        x.XGetImage.restype = ctypes.c_void_p
        x.XGetImage.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_ulong,
            ctypes.c_int,
        ]
        x.XGetPixel.restype = ctypes.c_ulong
        x.XGetPixel.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        x.XDestroyImage.argtypes = [ctypes.c_void_p]
        x.XTranslateCoordinates.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_ulong,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_ulong),
        ]
        # A window may vanish between its map and our look at it: ignore X errors
        # instead of letting Xlib's default handler exit the process.
        self._on_error = _ERROR_HANDLER(lambda _display, _event: 0)
        x.XSetErrorHandler(self._on_error)
        display_name = display if display is not None else os.environ.get("DISPLAY", "")
        self._display = x.XOpenDisplay(display_name.encode() or None)
        if not self._display:
            raise XUnavailable(f"cannot open X display {display_name!r}")
        self._root = x.XDefaultRootWindow(self._display)
        self._screen = 0  # XImage* of the whole screen as it was at arm()
        self._screen_size = (0, 0)

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        self._drop_screen()
        if self._display:
            self._x.XCloseDisplay(self._display)
            self._display = None

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- watching ------------------------------------------------------------------------
    def arm(self) -> None:
        """Subscribe to root's children and forget earlier events; call before launching."""
        x = self._x
        x.XSelectInput(self._display, self._root, SUBSTRUCTURE_NOTIFY_MASK)
        x.XSync(self._display, 1)  # discard anything queued
        # What the screen shows before the program draws anything: a new window without a
        # background keeps showing these pixels until its first frame.
        self._drop_screen()
        width, height, _origin = self._geometry(self._root)
        self._screen = (
            x.XGetImage(self._display, self._root, 0, 0, width, height, ALL_PLANES, Z_PIXMAP) or 0
        )
        self._screen_size = (width, height)

    def wait_first_window(
        self, timeout: float = 30.0, painted_timeout: float = 10.0
    ) -> Shown | None:
        """The first top-level window mapped after arm(), and when it was painted."""
        x = self._x
        deadline = time.perf_counter() + timeout
        event = _XEvent()
        fd = x.XConnectionNumber(self._display)
        while True:
            while x.XPending(self._display):
                x.XNextEvent(self._display, ctypes.byref(event))
                if event.type == MAP_NOTIFY and not event.xmap.override_redirect:
                    mapped = time.perf_counter()
                    window = int(event.xmap.window)
                    width, height, origin = self._geometry(window)
                    painted = self._wait_painted(window, origin, width, height, painted_timeout)
                    return Shown(window, self.title(window), width, height, mapped, painted)
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return None
            select.select([fd], [], [], min(remaining, 0.05))

    def title(self, window: int) -> str:
        """_NET_WM_NAME (UTF-8, what Qt sets), else the legacy WM_NAME."""
        x = self._x
        net_wm_name = x.XInternAtom(self._display, b"_NET_WM_NAME", 0)
        utf8 = x.XInternAtom(self._display, b"UTF8_STRING", 0)
        actual_type, actual_format = ctypes.c_ulong(), ctypes.c_int()
        nitems, after, data = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
        status = x.XGetWindowProperty(
            self._display, window, net_wm_name, 0, 1024, 0, utf8,
            ctypes.byref(actual_type), ctypes.byref(actual_format), ctypes.byref(nitems),
            ctypes.byref(after), ctypes.byref(data),
        )  # fmt: skip
        if status == 0 and data.value:
            try:
                if actual_format.value == 8 and nitems.value:
                    return ctypes.string_at(data.value, nitems.value).decode("utf-8", "replace")
            finally:
                x.XFree(data)
        name = ctypes.c_char_p()
        if x.XFetchName(self._display, window, ctypes.byref(name)) and name.value:
            text = name.value.decode("latin-1")
            x.XFree(name)
            return text
        return ""

    def icon_sizes(self, window: int) -> list[tuple[int, int]]:
        """The sizes in the window's _NET_WM_ICON (what Qt sets from the window icon)."""
        x = self._x
        prop = x.XInternAtom(self._display, b"_NET_WM_ICON", 0)
        cardinal = 6  # XA_CARDINAL
        actual_type, actual_format = ctypes.c_ulong(), ctypes.c_int()
        nitems, after, data = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
        status = x.XGetWindowProperty(
            self._display, window, prop, 0, 1 << 22, 0, cardinal,
            ctypes.byref(actual_type), ctypes.byref(actual_format), ctypes.byref(nitems),
            ctypes.byref(after), ctypes.byref(data),
        )  # fmt: skip
        if status != 0 or not data.value:
            return []
        try:
            # Format-32 properties come back as C longs: width, height, then the pixels.
            values = (ctypes.c_ulong * nitems.value).from_address(data.value)
            sizes, pos = [], 0
            while pos + 2 <= nitems.value:
                width, height = int(values[pos]), int(values[pos + 1])
                if width <= 0 or height <= 0:
                    break
                sizes.append((width, height))
                pos += 2 + width * height
            return sizes
        finally:
            x.XFree(data)

    # -- internals -----------------------------------------------------------------------
    def _geometry(self, window: int) -> tuple[int, int, tuple[int, int]]:
        attrs = _XWindowAttributes()
        if not self._x.XGetWindowAttributes(self._display, window, ctypes.byref(attrs)):
            return 0, 0, (0, 0)
        rx, ry, child = ctypes.c_int(), ctypes.c_int(), ctypes.c_ulong()
        self._x.XTranslateCoordinates(
            self._display,
            window,
            self._root,
            0,
            0,
            ctypes.byref(rx),
            ctypes.byref(ry),
            ctypes.byref(child),
        )
        return attrs.width, attrs.height, (rx.value, ry.value)

    def _pixel(self, drawable: int, px: int, py: int) -> int | None:
        image = self._x.XGetImage(self._display, drawable, px, py, 1, 1, ALL_PLANES, Z_PIXMAP)
        if not image:
            return None
        value = int(self._x.XGetPixel(image, 0, 0))
        self._x.XDestroyImage(image)
        return value

    def _drop_screen(self) -> None:
        if self._screen:
            self._x.XDestroyImage(self._screen)
            self._screen = 0

    def _before(self, px: int, py: int) -> int | None:
        width, height = self._screen_size
        if not self._screen or not (0 <= px < width and 0 <= py < height):
            return None
        return int(self._x.XGetPixel(self._screen, px, py))

    def _wait_painted(
        self, window: int, origin: tuple[int, int], width: int, height: int, timeout: float
    ) -> float | None:
        if width <= 0 or height <= 0:
            return None
        points = [(width * i // 4, height * j // 4) for i in (1, 2, 3) for j in (1, 2, 3)]
        before = [self._before(origin[0] + px, origin[1] + py) for px, py in points]
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            now = [self._pixel(window, px, py) for px, py in points]
            changed = sum(1 for a, b in zip(before, now, strict=True) if b is not None and a != b)
            if changed * 2 >= len(points):
                return time.perf_counter()
            time.sleep(0.002)
        return None
