import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** A message as the server took it: the envelope's recipients, the headers and the decoded text. */
export interface ReceivedMail {
  to: string[];
  subject: string;
  from: string;
  text: string;
}

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 for tests: it takes every message and keeps it,
 * so a test reads what Mosaic sent through nodemailer exactly as a mail server would receive it.
 */
export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        this.received.push(parse(Buffer.concat(chunks).toString("utf8"), session.envelope.rcptTo));
        callback();
      });
    },
  });
  url = "";

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  to(address: string): ReceivedMail[] {
    return this.received.filter((mail) => mail.to.includes(address));
  }
}

/** The token of the first link to `path` in a mail. */
export function tokenIn(mail: ReceivedMail | undefined, path: string): string {
  const found = new RegExp(`${path}\\?token=([A-Za-z0-9_-]{43})`).exec(mail?.text ?? "");
  if (!found?.[1]) throw new Error(`no ${path} link in ${mail?.text ?? "no mail"}`);
  return found[1];
}

function parse(raw: string, rcptTo: readonly { address: string }[]): ReceivedMail {
  const split = raw.indexOf("\r\n\r\n") >= 0 ? raw.indexOf("\r\n\r\n") : raw.indexOf("\n\n");
  const head = raw.slice(0, split).replace(/\r?\n[ \t]+/g, " ");
  const body = raw.slice(split).trim();
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, "im").exec(head)?.[1]?.trim() ?? "";
  const encoding = header("Content-Transfer-Encoding").toLowerCase();
  const text =
    encoding === "quoted-printable"
      ? body
          .replace(/=\r?\n/g, "")
          .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
      : encoding === "base64"
        ? Buffer.from(body, "base64").toString("utf8")
        : body;
  return { to: rcptTo.map((r) => r.address), subject: header("Subject"), from: header("From"), text };
}
