// One-click unsubscribe (RFC 8058) for the links in notification emails: the link carries the user,
// the kind and an HMAC over both, so it works without signing in and cannot be forged for anyone
// else. GET shows a confirmation form (mail scanners follow GET links and must not unsubscribe
// anyone); POST — the form, or the mail client's List-Unsubscribe-Post — turns that kind's email off.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { NOTIFICATION_KINDS, type NotificationKind, type MikroORM } from '@ai-teacher/shared';
import express, { type Express } from 'express';
import { NotificationRepository } from '../repositories/notification.repository.ts';

export class UnsubscribeLinks {
  private readonly secret: string;
  private readonly baseUrl: string;
  constructor(secret: string, baseUrl: string) {
    this.secret = secret;
    this.baseUrl = baseUrl.replace(/\/$/, '');
  }

  private sign(userId: string, kind: string): string {
    return createHmac('sha256', this.secret).update(`unsubscribe:${userId}:${kind}`).digest('base64url');
  }

  url(userId: string, kind: NotificationKind): string {
    return `${this.baseUrl}/unsubscribe?u=${encodeURIComponent(userId)}&k=${kind}&s=${this.sign(userId, kind)}`;
  }

  /** The user and kind of a genuine link, or null. */
  verify(u: unknown, k: unknown, s: unknown): { userId: string; kind: NotificationKind } | null {
    if (typeof u !== 'string' || typeof k !== 'string' || typeof s !== 'string') return null;
    if (!(NOTIFICATION_KINDS as readonly string[]).includes(k) || !/^[0-9a-f-]{36}$/i.test(u)) return null;
    const expected = Buffer.from(this.sign(u, k));
    const given = Buffer.from(s);
    return expected.length === given.length && timingSafeEqual(expected, given) ? { userId: u, kind: k as NotificationKind } : null;
  }
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:sans-serif;max-width:560px;margin:40px auto">${body}</body></html>`;

export function mountUnsubscribe(app: Express, links: UnsubscribeLinks, orm: MikroORM): void {
  app.get('/unsubscribe', (req, res) => {
    const who = links.verify(req.query.u, req.query.k, req.query.s);
    if (!who) return void res.status(400).type('html').send(page('Invalid link', '<p>This unsubscribe link is not valid.</p>'));
    const action = `/unsubscribe?u=${encodeURIComponent(who.userId)}&amp;k=${who.kind}&amp;s=${encodeURIComponent(String(req.query.s))}`;
    const label = who.kind.replace(/_/g, ' ').toLowerCase();
    res.type('html').send(page('Unsubscribe', `<p>Stop emails of this kind (${label})? You will still see them in the app.</p><form method="post" action="${action}"><button type="submit">Unsubscribe</button></form>`));
  });
  app.post('/unsubscribe', express.urlencoded({ extended: false, limit: '1kb' }), async (req, res, next) => {
    try {
      const who = links.verify(req.query.u, req.query.k, req.query.s);
      if (!who) return void res.status(400).type('html').send(page('Invalid link', '<p>This unsubscribe link is not valid.</p>'));
      const repo = new NotificationRepository(orm.em.fork());
      const current = await repo.channelsFor([who.userId], who.kind);
      await repo.setPreference(who.userId, who.kind, { inApp: current.get(who.userId)!.inApp, email: false });
      res.type('html').send(page('Unsubscribed', '<p>Done: you will no longer get these emails. You can turn them on again in your notification settings.</p>'));
    } catch (err) {
      next(err);
    }
  });
}
