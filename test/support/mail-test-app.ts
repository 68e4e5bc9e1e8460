import { startSmtpTestServer, type SmtpTestServer } from './smtp-test-server';
import { startTestApp, type TestApp } from './test-app';

export const TEST_FRONTEND_URL = 'https://app.example.test';

export interface MailTestApp {
  app: TestApp;
  smtp: SmtpTestServer;
  close(): Promise<void>;
}

/** A test app whose mail goes to a real SMTP server of its own, with links built from TEST_FRONTEND_URL. */
export async function startMailTestApp(env: Record<string, string> = {}): Promise<MailTestApp> {
  const smtp = await startSmtpTestServer();
  const app = await startTestApp({
    ...smtp.env,
    FRONTEND_URL: TEST_FRONTEND_URL,
    PRODUCT_NAME: 'Acme Cloud',
    AUTH_RATE_LIMIT_PER_HOUR: '1000',
    ...env,
  });
  return {
    app,
    smtp,
    close: async () => {
      await app.close();
      await smtp.close();
    },
  };
}
