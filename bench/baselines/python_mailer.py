"""Send emails as the Python service did: one SMTP connection per email.

Each email opens an implicit-TLS connection (smtplib.SMTP_SSL), logs in, sends an HTML message
with a small PNG attached, and quits. The server's certificate is verified against CA_FILE.

Usage: SMTP_USERNAME=... SMTP_PASSWORD=... python_mailer.py HOST PORT CA_FILE PNG_FILE COUNT
Prints ``emails_per_s=<float>``.
"""

import os
import smtplib
import ssl
import sys
import time
from email.message import EmailMessage


def build_message(n: int, png: bytes) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "qrmail <qrmail@example.com>"
    message["To"] = f"python{n}@example.com"
    message["Subject"] = "Your QR code"
    message.set_content("Your QR code is attached.")
    message.add_alternative(
        "<html><body><p>Your QR code:</p><p><img src=\"cid:qrcode\" alt=\"QR code\"></p></body></html>",
        subtype="html",
    )
    message.add_attachment(png, maintype="image", subtype="png", filename="qrcode.png")
    return message


def main() -> None:
    if len(sys.argv) != 6:
        sys.exit("usage: python_mailer.py HOST PORT CA_FILE PNG_FILE COUNT")
    host, port, ca_file, png_file, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
    username = os.environ["SMTP_USERNAME"]
    password = os.environ["SMTP_PASSWORD"]
    context = ssl.create_default_context(cafile=ca_file)
    with open(png_file, "rb") as file:
        png = file.read()

    start = time.perf_counter()
    for n in range(count):
        with smtplib.SMTP_SSL(host, port, context=context) as smtp:
            smtp.login(username, password)
            smtp.send_message(build_message(n, png))
    elapsed = time.perf_counter() - start
    print(f"emails_per_s={count / elapsed:.3f}")


if __name__ == "__main__":
    main()
