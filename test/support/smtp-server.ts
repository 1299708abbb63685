import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';

import { simpleParser, type ParsedMail } from 'mailparser';
import { generate } from 'selfsigned';
import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';

/** A certificate for 127.0.0.1 and localhost, and the PEM that clients trust to verify it. */
export interface TestCertificate {
  key: string;
  cert: string;
}

let certificate: Promise<TestCertificate> | undefined;

/** Generates one self-signed certificate per test process. */
export function testCertificate(): Promise<TestCertificate> {
  certificate ??= generate([{ name: 'commonName', value: 'localhost' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  }).then((pems) => ({ key: pems.private, cert: pems.cert }));
  return certificate;
}

/** A message as the server received it. */
export interface ReceivedMessage {
  envelopeFrom: string;
  envelopeTo: string[];
  raw: Buffer;
  parsed: ParsedMail;
  /** Whether the session was encrypted when the message arrived. */
  secure: boolean;
  /** When the server accepted the message, in milliseconds since the epoch. */
  receivedAt: number;
  /** When the client opened the connection that carried the message, in milliseconds since the epoch. */
  connectedAt: number;
  user: string | undefined;
}

/** A decision a test makes for one SMTP command: accept, or reply with an error. */
export type FaultReply = { code: number; message: string } | 'drop' | undefined;

/**
 * A decision a test makes for one SMTP command and recipient: accept (undefined), reply with an
 * error reply, or `'drop'` the connection without a reply (after the body, the message counts as received).
 */
export type FaultHook = (session: SMTPServerSession, recipient: string) => FaultReply | Promise<FaultReply>;

export interface TestSmtpServerOptions {
  /** TLS from the first byte (port 465 style); otherwise STARTTLS is offered and required before AUTH. */
  implicitTls: boolean;
  username?: string;
  password?: string;
  /** Called when a client connects; the connection waits until the promise settles. */
  onConnect?: () => Promise<void> | void;
  /** Milliseconds to wait before accepting each message, to keep sends in flight. */
  messageDelayMs?: number;
  /** Called at MAIL FROM's recipient step; return a reply to reject the recipient. */
  onRecipient?: FaultHook;
  /** Called after the body arrived; return a reply to reject the message. */
  onMessage?: FaultHook;
  /** Offer STARTTLS on a plain connection. Default true. */
  offerStartTls?: boolean;
  /** Require a login. Default true. */
  requireAuth?: boolean;
  /**
   * Parse each message with mailparser as it arrives. Default true. With false, the server only
   * records the raw bytes, so that a benchmark measures the sender rather than the parser, and
   * reading `parsed` throws.
   */
  parse?: boolean;
}

/** An smtp-server on 127.0.0.1 with TLS and AUTH required, recording every accepted message. */
export interface TestSmtpServer {
  host: string;
  port: number;
  /** The PEM certificate that clients must trust. */
  ca: string;
  username: string;
  /** The password the server accepts now; `setPassword` changes it, as a rotation would. */
  readonly password: string;
  setPassword(password: string): void;
  messages: ReceivedMessage[];
  /** Failed logins seen, in order. */
  failedLogins: number;
  /** Connections opened so far. */
  connections: number;
  /** Messages whose body arrived but whose connection the server dropped before replying. */
  dropped: ReceivedMessage[];
  /** Resolves once at least `count` messages arrived; rejects after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  close(): Promise<void>;
}

/** Stands in for the parsed message of a server that does not parse: any use of it throws. */
function unparsed(): ParsedMail {
  return new Proxy({} as ParsedMail, {
    get() {
      throw new Error('this server was started with parse: false; parse message.raw with simpleParser');
    },
  });
}

/** Starts a test SMTP server on an ephemeral loopback port. */
export async function startTestSmtpServer(options: TestSmtpServerOptions): Promise<TestSmtpServer> {
  const tls = await testCertificate();
  const username = options.username ?? 'sender@example.com';
  let password = options.password ?? 'test-smtp-password-4c1b';
  const messages: ReceivedMessage[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let failedLogins = 0;
  let connections = 0;
  const connectedAt = new Map<string, number>();
  const dropped: ReceivedMessage[] = [];

  const notify = () => {
    for (const waiter of [...waiters]) {
      if (messages.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };

  const server = new SMTPServer({
    secure: options.implicitTls,
    key: tls.key,
    cert: tls.cert,
    hideSTARTTLS: options.offerStartTls === false,
    disabledCommands: options.offerStartTls === false && !options.implicitTls ? ['STARTTLS'] : [],
    authOptional: options.requireAuth === false,
    authMethods: ['PLAIN', 'LOGIN'],
    disableReverseLookup: true,
    logger: false,
    onConnect(session, callback) {
      connections++;
      connectedAt.set(session.id, Date.now());
      Promise.resolve(options.onConnect?.()).then(() => callback(), callback);
    },
    onAuth(auth: SMTPServerAuthentication, _session, callback) {
      if (auth.username === username && auth.password === password) return callback(null, { user: username });
      failedLogins++;
      const error = new Error('Username and Password not accepted') as Error & { responseCode: number };
      error.responseCode = 535;
      return callback(error);
    },
    onRcptTo(address, session, callback) {
      Promise.resolve(options.onRecipient?.(session, address.address)).then((reply) => {
        if (reply === 'drop') return dropConnection(session);
        callback(replyError(reply));
      }, callback);
    },
    onData(stream: Readable, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', async () => {
        try {
          const reply = await options.onMessage?.(session, session.envelope.rcptTo[0]?.address ?? '');
          if (reply !== undefined && reply !== 'drop') return callback(replyError(reply));
          const raw = Buffer.concat(chunks);
          const message: ReceivedMessage = {
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            envelopeTo: session.envelope.rcptTo.map((recipient) => recipient.address),
            raw,
            parsed: options.parse === false ? unparsed() : await simpleParser(raw, { keepCidLinks: true }),
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
            receivedAt: Date.now(),
            connectedAt: connectedAt.get(session.id) ?? Date.now(),
          };
          if (reply === 'drop') {
            dropped.push(message);
            return dropConnection(session);
          }
          if (options.messageDelayMs) await new Promise((resolve) => setTimeout(resolve, options.messageDelayMs));
          message.receivedAt = Date.now();
          messages.push(message);
          callback();
          notify();
        } catch (error) {
          callback(error as Error);
        }
      });
    },
  });

  /** Closes a session's socket without a reply, as a crashing server or a broken network would. */
  function dropConnection(session: SMTPServerSession): void {
    // smtp-server keeps its open connections in a Set that its types do not declare.
    const open = (server as unknown as { connections: Set<{ id: string; _socket: { destroy(): void } }> }).connections;
    for (const connection of open) {
      if (connection.id === session.id) connection._socket.destroy();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // A client that dies mid-session (a killed service) resets its connection; that is expected here.
  server.on('error', (error: NodeJS.ErrnoException) => {
    if (!['ECONNRESET', 'EPIPE', 'SocketError'].includes(String(error.code)))
      console.error('test SMTP server error', error);
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    ca: tls.cert,
    username,
    get password() {
      return password;
    },
    setPassword(value: string) {
      password = value;
    },
    messages,
    get failedLogins() {
      return failedLogins;
    },
    get connections() {
      return connections;
    },
    dropped,
    waitForMessages(count, timeoutMs = 15_000) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} messages within ${timeoutMs} ms, received ${messages.length}`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(messages);
          },
        });
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function replyError(reply: FaultReply): Error | undefined {
  if (reply === undefined || reply === 'drop') return undefined;
  const error = new Error(reply.message) as Error & { responseCode: number };
  error.responseCode = reply.code;
  return error;
}
