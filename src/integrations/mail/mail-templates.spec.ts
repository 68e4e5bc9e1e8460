import { MailTemplates } from './mail-templates';

describe('mail templates', () => {
  const templates = new MailTemplates('Acme Cloud');

  it('escapes user-supplied names in HTML and keeps them readable in text', () => {
    const mail = templates.invitation({
      inviterName: '<script>alert(1)</script>',
      organizationName: 'Tom & Jerry "Ltd"',
      role: 'ADMIN',
      link: 'https://app.example.test/accept-invitation?token=abc&x=1',
      expiresInHours: 168,
    });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).toContain('Tom &amp; Jerry &quot;Ltd&quot;');
    expect(mail.html).toContain('href="https://app.example.test/accept-invitation?token=abc&amp;x=1"');
    expect(mail.text).toContain(
      '<script>alert(1)</script> invited you to join Tom & Jerry "Ltd" on Acme Cloud as admin.',
    );
    expect(mail.text).toContain('The invitation expires in 7 days.');
  });

  it('names the product and the link lifetime in every account mail', () => {
    const verify = templates.verifyEmail({
      firstName: 'Sam',
      link: 'https://x.test/verify-email?token=t',
      expiresInHours: 48,
    });
    const reset = templates.passwordReset({
      firstName: 'Sam',
      link: 'https://x.test/reset-password?token=t',
      expiresInHours: 1,
    });
    expect(verify.subject).toBe('Confirm your email address for Acme Cloud');
    expect(verify.text).toContain('expires in 2 days');
    expect(reset.text).toContain('expires in 1 hour');
    const reminder = templates.onboardingReminder({
      firstName: 'Sam',
      organizationName: 'Acme',
      completionPercentage: 40,
      remainingSteps: ['Invite a team member'],
      link: 'https://x.test/onboarding',
    });
    expect(reminder.text).toContain('Acme is 40% set up. Still to do: Invite a team member.');
  });
});
