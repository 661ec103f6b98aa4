import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { getMe, getProviders, logout as apiLogout, type Me, type Provider } from '../api/auth';

interface Auth {
  /** Still asking the server who is signed in. */
  loading: boolean;
  me: Me | null;
  providers: Provider[];
  logout: () => Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

/** Asks once who is signed in and which providers are offered; a failure leaves a guest. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [loading, setLoading] = useState(true);
  const [me, setMe] = useState<Me | null>(null);
  const [providers, setProviders] = useState<Provider[]>([]);

  useEffect(() => {
    let live = true;
    Promise.allSettled([getMe(), getProviders()]).then(([who, offered]) => {
      if (!live) return;
      if (who.status === 'fulfilled') setMe(who.value);
      if (offered.status === 'fulfilled') setProviders(offered.value);
      setLoading(false);
    });
    return () => {
      live = false;
    };
  }, []);

  const logout = useCallback(async () => {
    if (!me) return;
    const next = await apiLogout(me.csrf_token);
    setMe(null);
    window.location.assign(next);
  }, [me]);

  const value = useMemo(() => ({ loading, me, providers, logout }), [loading, me, providers, logout]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth must be used inside <AuthProvider>');
  return auth;
}
