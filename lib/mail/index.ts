import path from "node:path";
import type { Mailer } from "./mailer";
import { OutboxMailer } from "./outbox";
import { SmtpMailer } from "./smtp";

export type { Mailer, MailMessage } from "./mailer";
export { OutboxMailer } from "./outbox";
export { SmtpMailer } from "./smtp";

/** SMTP when `smtpUrl` is set, else the outbox under the data dir. */
export function createMailer(options: {
  smtpUrl: string | undefined;
  from: string;
  dataDir: string;
  log: (message: string) => void;
}): Mailer {
  return options.smtpUrl !== undefined
    ? new SmtpMailer(options.smtpUrl, options.from)
    : new OutboxMailer(path.join(options.dataDir, "outbox"), options.from, options.log);
}
