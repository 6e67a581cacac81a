/** One message to one person: plain text, as account mail is (links to follow, nothing to render). */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/**
 * The mail port: SMTP through nodemailer in a cluster (`SMTP_URL`), or an outbox of `.eml` files under
 * `DATA_DIR/outbox` on the embedded default, the way Mastodon's development mode shows mail.
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}
