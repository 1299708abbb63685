"""Render QR codes as the Python service did, to compare qrmail's renderer against it.

Each code is made with the qrcode library's defaults (error correction M, box_size 10, border 4)
and saved as a 1-bit PNG through Pillow, for the URL followed by ``?i=<n>`` with n counting from
100, so that a 94-byte URL gives 100-byte codes up to COUNT = 900.

Usage: python_qr.py URL COUNT [PNG_PATH]
Prints ``codes_per_s=<float> png_bytes=<int>``, where png_bytes is the size of the last PNG, and
writes that PNG to PNG_PATH when given.
"""

import io
import sys
import time

import qrcode

FIRST_N = 100


def render(url: str) -> bytes:
    image = qrcode.make(url)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: python_qr.py URL COUNT [PNG_PATH]")
    url = sys.argv[1]
    count = int(sys.argv[2])

    # Warm-up: the first codes pay for imports and caches.
    for n in range(FIRST_N, FIRST_N + min(20, count)):
        render(f"{url}?i={n}")

    png = b""
    start = time.perf_counter()
    for n in range(FIRST_N, FIRST_N + count):
        png = render(f"{url}?i={n}")
    elapsed = time.perf_counter() - start

    if len(sys.argv) == 4:
        with open(sys.argv[3], "wb") as file:
            file.write(png)
    print(f"codes_per_s={count / elapsed:.3f} png_bytes={len(png)}")


if __name__ == "__main__":
    main()
