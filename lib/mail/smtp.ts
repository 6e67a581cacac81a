import { createTransport, type Transporter } from "nodemailer";
import type { Mailer, MailMessage } from "./mailer";

/** A server that takes longer than this to greet, or to answer a command, fails the send. */
const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 20_000;

/**
 * SMTP through nodemailer: `smtp://user:pass@host:587` (STARTTLS when the server offers it) or `smtps://…:465`
 * (TLS from the start), a small pool of connections, every wait bounded.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    const parsed = new URL(url);
    this.transport = createTransport({
      host: parsed.hostname,
      port: parsed.port === "" ? (parsed.protocol === "smtps:" ? 465 : 587) : Number(parsed.port),
      secure: parsed.protocol === "smtps:",
      ...(parsed.username !== "" && {
        auth: { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) },
      }),
      pool: true,
      maxConnections: 2,
      connectionTimeout: CONNECT_TIMEOUT_MS,
      greetingTimeout: CONNECT_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
    });
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.from, ...message });
  }

  close(): Promise<void> {
    this.transport.close();
    return Promise.resolve();
  }
}
