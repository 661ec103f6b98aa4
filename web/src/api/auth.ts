/** Sign-in: the configured identity providers, the signed-in person, logout. */
import { ApiError, request } from './rooms';

export interface Provider {
  id: string;
  display_name: string;
  logo_url: string | null;
  login_url: string;
}

export interface Me {
  user: {
    id: number;
    provider: string;
    full_name: string;
    given_name: string;
    usual_name: string;
    email: string | null;
  };
  is_admin: boolean;
  csrf_token: string;
}

export async function getProviders(): Promise<Provider[]> {
  return (await request<{ providers: Provider[] }>('/api/v1/auth/providers')).providers;
}

/** The signed-in person, or null for a guest. */
export async function getMe(): Promise<Me | null> {
  try {
    return await request<Me>('/api/v1/me', { credentials: 'same-origin' });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** Ends the session; returns where to go next (the provider's sign-out page, or home). */
export async function logout(csrfToken: string): Promise<string> {
  const reply = await request<{ redirect: string }>('/auth/logout', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'X-CSRF-Token': csrfToken },
  });
  return reply.redirect;
}

/** The login link for a provider, coming back to `returnTo` (a path on this site). */
export function loginUrl(provider: Provider, returnTo: string): string {
  return returnTo === '/' ? provider.login_url : `${provider.login_url}?next=${encodeURIComponent(returnTo)}`;
}
