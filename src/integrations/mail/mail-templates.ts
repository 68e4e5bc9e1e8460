/** Rendered email: both parts carry the same content, the text part for clients that show no HTML. */
export interface MailContent {
  subject: string;
  html: string;
  text: string;
}

interface Layout {
  subject: string;
  greeting: string;
  paragraphs: string[];
  action?: { label: string; url: string };
  /** Small print under the action (expiry, "not you?"). */
  notes?: string[];
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Names and organization names are user input: never put them in HTML unescaped. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

const hours = (h: number) => (h % 24 === 0 && h >= 48 ? `${h / 24} days` : h === 1 ? '1 hour' : `${h} hours`);

/**
 * The product's transactional emails. Links are built by the caller from
 * FRONTEND_URL (never from a request's Host header) and passed in whole.
 */
export class MailTemplates {
  constructor(private readonly productName: string) {}

  verifyEmail(p: { firstName: string; link: string; expiresInHours: number }): MailContent {
    return this.render({
      subject: `Confirm your email address for ${this.productName}`,
      greeting: `Hi ${p.firstName},`,
      paragraphs: [`Welcome to ${this.productName}! Please confirm that this is your email address.`],
      action: { label: 'Confirm email address', url: p.link },
      notes: [
        `The link expires in ${hours(p.expiresInHours)} and works once.`,
        'If you did not sign up, ignore this email.',
      ],
    });
  }

  passwordReset(p: { firstName: string; link: string; expiresInHours: number }): MailContent {
    return this.render({
      subject: `Reset your ${this.productName} password`,
      greeting: `Hi ${p.firstName},`,
      paragraphs: ['Someone (hopefully you) asked to reset the password of your account.'],
      action: { label: 'Choose a new password', url: p.link },
      notes: [
        `The link expires in ${hours(p.expiresInHours)} and works once.`,
        'If you did not ask for this, ignore this email: your password stays as it is.',
      ],
    });
  }

  passwordChanged(p: { firstName: string; resetLink: string }): MailContent {
    return this.render({
      subject: `Your ${this.productName} password was changed`,
      greeting: `Hi ${p.firstName},`,
      paragraphs: ['The password of your account was just changed, and every other session was signed out.'],
      action: { label: 'This was not me: reset my password', url: p.resetLink },
      notes: ['If you made this change, there is nothing else to do.'],
    });
  }

  /** Sent to the holder of an address someone tried to register again. */
  registrationAttempt(p: { firstName: string; signInLink: string; resetLink: string }): MailContent {
    return this.render({
      subject: `Sign-up attempt with your ${this.productName} email`,
      greeting: `Hi ${p.firstName},`,
      paragraphs: [
        `Someone tried to create a new ${this.productName} account with this email address, which already has an account.`,
        `If it was you, sign in instead: ${p.signInLink}`,
      ],
      action: { label: 'Forgot your password? Reset it', url: p.resetLink },
      notes: ['If it was not you, you can ignore this email; nothing was changed.'],
    });
  }

  invitation(p: {
    inviterName: string;
    organizationName: string;
    role: string;
    link: string;
    expiresInHours: number;
  }): MailContent {
    return this.render({
      subject: `${p.inviterName} invited you to ${p.organizationName} on ${this.productName}`,
      greeting: 'Hello,',
      paragraphs: [
        `${p.inviterName} invited you to join ${p.organizationName} on ${this.productName} as ${p.role.toLowerCase()}.`,
      ],
      action: { label: 'Accept the invitation', url: p.link },
      notes: [`The invitation expires in ${hours(p.expiresInHours)}.`, 'If you did not expect it, ignore this email.'],
    });
  }

  onboardingReminder(p: {
    firstName: string;
    organizationName: string;
    completionPercentage: number;
    remainingSteps: string[];
    link: string;
  }): MailContent {
    return this.render({
      subject: `Finish setting up ${p.organizationName} on ${this.productName}`,
      greeting: `Hi ${p.firstName},`,
      paragraphs: [
        `${p.organizationName} is ${p.completionPercentage}% set up. Still to do: ${p.remainingSteps.join(', ')}.`,
      ],
      action: { label: 'Continue setup', url: p.link },
    });
  }

  /** A usage limit is 80% used (sent once per limit and month). */
  usageWarning(p: {
    firstName: string;
    organizationName: string;
    what: string;
    used: number;
    limit: number;
    link: string;
  }): MailContent {
    return this.render({
      subject: `${p.organizationName} has used ${Math.floor((p.used / p.limit) * 100)}% of its ${p.what} on ${this.productName}`,
      greeting: `Hi ${p.firstName},`,
      paragraphs: [
        `${p.organizationName} has used ${p.used} of the ${p.limit} ${p.what} its plan includes.`,
        'At the limit, new ones cannot be created until you upgrade (or, for monthly allowances, until next month).',
      ],
      action: { label: 'See plans and upgrade', url: p.link },
    });
  }

  /** A subscription charge failed; the card provider retries, the plan stays for now. */
  paymentFailed(p: { firstName: string; organizationName: string; amount: string; link: string }): MailContent {
    return this.render({
      subject: `Payment failed for ${p.organizationName} on ${this.productName}`,
      greeting: `Hi ${p.firstName},`,
      paragraphs: [
        `We could not charge ${p.amount} for the ${this.productName} plan of ${p.organizationName}.`,
        'Your plan stays active while we retry. Please check the card on file or add another one.',
      ],
      action: { label: 'Update payment method', url: p.link },
    });
  }

  trialEnding(p: {
    firstName: string;
    organizationName: string;
    planName: string;
    endsOn: string;
    link: string;
  }): MailContent {
    return this.render({
      subject: `Your ${this.productName} trial for ${p.organizationName} ends on ${p.endsOn}`,
      greeting: `Hi ${p.firstName},`,
      paragraphs: [
        `The ${p.planName} trial of ${p.organizationName} ends on ${p.endsOn}.`,
        'Choose a plan to keep every feature. Otherwise the organization moves to the Free plan: all data is kept, and what exceeds its limits stays readable.',
      ],
      action: { label: 'Choose a plan', url: p.link },
    });
  }

  /**
   * A ticket's first-response or resolution deadline is at risk (80% of its time used) or passed; `dueAt` is already in
   * the tenant's local time.
   */
  slaAlert(p: {
    firstName: string;
    organizationName: string;
    ticketNumber: number;
    ticketSubject: string;
    target: string;
    breached: boolean;
    dueAt: string;
    link: string;
  }): MailContent {
    const ticket = `#${p.ticketNumber} "${p.ticketSubject}"`;
    return this.render({
      subject: `${p.breached ? 'SLA breached' : 'SLA at risk'}: #${p.ticketNumber} ${p.ticketSubject}`,
      greeting: `Hi ${p.firstName},`,
      paragraphs: [
        p.breached
          ? `The ${p.target} deadline of ticket ${ticket} in ${p.organizationName} passed at ${p.dueAt}.`
          : `Ticket ${ticket} in ${p.organizationName} needs its ${p.target} by ${p.dueAt}: less than a fifth of the time is left.`,
      ],
      action: { label: 'Open the ticket', url: p.link },
    });
  }

  /** A business sends its customer a quote; the PDF (cover letter, prices, terms) is attached by the caller. */
  quoteSent(p: {
    customerName: string;
    companyName: string;
    quoteNumber: string;
    quoteTitle: string;
    total: string;
    validUntil: string;
  }): MailContent {
    return this.render({
      subject: `Quote ${p.quoteNumber} from ${p.companyName}: ${p.quoteTitle}`,
      greeting: `Dear ${p.customerName},`,
      paragraphs: [
        `${p.companyName} sends you quote ${p.quoteNumber} for "${p.quoteTitle}", totalling ${p.total} and valid until ${p.validUntil}.`,
        'The quote, with its cover letter, scope of work and terms, is attached as a PDF. Reply to this email with any question.',
      ],
    });
  }

  /** A business sends its customer an invoice; the PDF is attached by the caller. */
  invoiceSent(p: {
    customerName: string;
    companyName: string;
    invoiceNumber: string;
    invoiceTitle: string;
    total: string;
    dueDate: string;
  }): MailContent {
    return this.render({
      subject: `Invoice ${p.invoiceNumber} from ${p.companyName}: ${p.invoiceTitle}`,
      greeting: `Dear ${p.customerName},`,
      paragraphs: [
        `${p.companyName} sends you invoice ${p.invoiceNumber} for "${p.invoiceTitle}", totalling ${p.total} and due on ${p.dueDate}.`,
        'The invoice is attached as a PDF. Reply to this email with any question.',
      ],
    });
  }

  /**
   * The automatic acknowledgement of a ticket opened by email; the ticket number in the subject threads the customer's
   * answers.
   */
  ticketReceived(p: {
    customerName: string;
    companyName: string;
    ticketNumber: number;
    ticketSubject: string;
  }): MailContent {
    return this.render({
      subject: `We received your request [#${p.ticketNumber}] ${p.ticketSubject}`,
      greeting: `Dear ${p.customerName},`,
      paragraphs: [
        `Thank you for contacting ${p.companyName}. Your request "${p.ticketSubject}" is ticket #${p.ticketNumber}; we will answer as soon as we can.`,
        'To add anything, reply to this email and keep the ticket number in the subject.',
      ],
    });
  }

  /** A team's reply on an email ticket, as they wrote it: it comes from the organization, so no product branding. */
  ticketReply(p: { subject: string; body: string }): MailContent {
    const paragraphs = p.body
      .split(/\n{2,}/)
      .map((block) => `<p style="margin:0 0 16px">${escapeHtml(block).replace(/\n/g, '<br>')}</p>`);
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(p.subject)}</title></head><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#111;line-height:1.5">${paragraphs.join('')}</body></html>`;
    return { subject: p.subject, html, text: p.body };
  }

  private render(layout: Layout): MailContent {
    const notes = layout.notes ?? [];
    const text = [
      layout.greeting,
      '',
      ...layout.paragraphs.flatMap((p) => [p, '']),
      ...(layout.action ? [`${layout.action.label}:`, layout.action.url, ''] : []),
      ...notes,
      '',
      `— ${this.productName}`,
    ].join('\n');
    const paragraph = (p: string) => `<p style="margin:0 0 16px">${escapeHtml(p)}</p>`;
    const action = layout.action
      ? `<p style="margin:24px 0"><a href="${escapeHtml(layout.action.url)}" style="background:#2563eb;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${escapeHtml(layout.action.label)}</a></p>` +
        `<p style="margin:0 0 16px;font-size:13px;color:#555">If the button does not work, open this link: <a href="${escapeHtml(layout.action.url)}">${escapeHtml(layout.action.url)}</a></p>`
      : '';
    const html =
      `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(layout.subject)}</title></head>` +
      `<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#111;line-height:1.5;max-width:560px;margin:0 auto;padding:24px">` +
      paragraph(layout.greeting) +
      layout.paragraphs.map(paragraph).join('') +
      action +
      notes.map((n) => `<p style="margin:0 0 8px;font-size:13px;color:#555">${escapeHtml(n)}</p>`).join('') +
      `<p style="margin:24px 0 0;font-size:13px;color:#555">— ${escapeHtml(this.productName)}</p>` +
      `</body></html>`;
    return { subject: layout.subject, html, text };
  }
}
