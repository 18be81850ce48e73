"""Text on a coloured background (a resource type's colour) must stay readable: black or white,
whichever contrasts more (WCAG relative luminance)."""


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_color: str) -> float:
    r, g, b = (int(hex_color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def text_on(hex_color: str) -> str:
    """'#111111' or '#ffffff' for text on `hex_color`."""
    try:
        light = luminance(hex_color)
    except ValueError:
        return "#111111"
    # Contrast with black is (L + .05) / .05, with white 1.05 / (L + .05): pick the larger.
    return "#111111" if (light + 0.05) / 0.05 >= 1.05 / (light + 0.05) else "#ffffff"
