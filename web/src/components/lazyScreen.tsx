import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useT } from "../i18n";

/** A screen whose module is fetched only when it is opened (the first screen stays light): the ROUTES
 * table takes it as any other screen. Once loaded, the module is kept. */
export function lazyScreen(load: () => Promise<ComponentType>): ComponentType {
  let loaded: ComponentType | null = null;
  return function LazyScreen() {
    const t = useT();
    const [Screen, setScreen] = useState<ComponentType | null>(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (loaded) return;
      load()
        .then((screen) => {
          loaded = screen;
          setScreen(() => screen);
        })
        .catch(() => setFailed(true));
    }, []);
    if (failed) {
      return (
        <div class="problem" role="alert">
          <p class="problem-title">{t("problem.network.title")}</p>
          <p>{t("problem.network.detail")}</p>
        </div>
      );
    }
    return Screen ? <Screen /> : <p aria-busy="true">{t("app.loading")}</p>;
  };
}
