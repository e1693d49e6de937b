"""``python -m opscope.gui.graph.render IN.svg OUT.png``: rasterize the headless verb's SVG.

The ``opscope graph -o OUT.png`` verb never loads Qt itself; it runs this in a child process
(offscreen), so the PNG is the SVG as Qt draws it. Very tall graphs are scaled down to
``MAX_SIDE`` pixels on their longer side.
"""

from __future__ import annotations

import os
import sys

MAX_SIDE = 16000


def main(argv: list[str]) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    source, target = argv
    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(source)
    if not renderer.isValid():
        print(f"not a readable SVG: {source}", file=sys.stderr)
        return 1
    size = renderer.defaultSize()
    scale = min(1.0, MAX_SIDE / max(size.width(), size.height(), 1))
    image = QImage(
        QSize(max(1, int(size.width() * scale)), max(1, int(size.height() * scale))),
        QImage.Format.Format_RGB32,
    )
    image.fill(QColor(250, 250, 250))
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    if not image.save(target, "PNG"):
        print(f"cannot write {target}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
