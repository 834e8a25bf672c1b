import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useT } from "../i18n";

/** A screen whose code is fetched only when it is first opened (import()), so the first screen stays light.
 * While it loads the screen says so; when it cannot be fetched (offline), it says that instead. */
export function lazyScreen(load: () => Promise<ComponentType>): ComponentType {
  let loaded: ComponentType | null = null;
  return function LazyScreen() {
    const t = useT();
    const [, setReady] = useState(false);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (loaded) return;
      let live = true;
      load().then(
        (screen) => {
          loaded = screen;
          if (live) setReady(true);
        },
        () => live && setFailed(true),
      );
      return () => {
        live = false;
      };
    }, []);
    if (loaded) {
      const Screen = loaded;
      return <Screen />;
    }
    if (failed) {
      return (
        <div class="problem" role="alert">
          <p class="problem-title">{t("problem.network.title")}</p>
          <p>{t("problem.network.detail")}</p>
        </div>
      );
    }
    return <p aria-busy="true">{t("app.loading")}</p>;
  };
}
