import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createTransport } from "nodemailer";
import type { Mailer, MailMessage } from "./mailer";

/**
 * The embedded default: each message is composed as SMTP would send it and written to `dir` as an `.eml` file
 * (any mail program opens it), and its path and links are logged, so that a person trying Mosaic can follow a
 * reset link without a mail server.
 */
export class OutboxMailer implements Mailer {
  private readonly composer = createTransport({ streamTransport: true, buffer: true, newline: "unix" });

  constructor(
    private readonly dir: string,
    private readonly from: string,
    private readonly log: (message: string) => void,
  ) {}

  async send(message: MailMessage): Promise<void> {
    const sent = await this.composer.sendMail({ from: this.from, ...message });
    const body: unknown = sent.message;
    if (!Buffer.isBuffer(body)) throw new Error("the mail composer gave no message");
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = path.join(this.dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomUUID()}.eml`);
    await writeFile(file, body, { mode: 0o600 });
    // The file is encoded for mail programs (long lines wrapped); the links are logged as they are, to follow.
    const links = message.text.match(/https?:\/\/\S+/g) ?? [];
    const linked = links.length > 0 ? `; its link: ${links.join(" ")}` : "";
    this.log(`mail to ${message.to} ("${message.subject}") written to ${file}${linked}`);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
