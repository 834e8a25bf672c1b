// The PE screens, loaded on first use (import()): the jobcoach's first screen stays light.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { networkProblem } from "../../api/client";
import { ProblemBox } from "../../components/forms";
import { useT } from "../../i18n";

function lazy(load: () => Promise<ComponentType>): ComponentType {
  let loaded: ComponentType | null = null;
  return function LazyScreen() {
    const t = useT();
    const [screen, setScreen] = useState<{ Screen: ComponentType } | null>(loaded ? { Screen: loaded } : null);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (screen) return;
      load().then(
        (Screen) => {
          loaded = Screen;
          setScreen({ Screen });
        },
        () => setFailed(true),
      );
    }, []);
    if (failed) return <ProblemBox problem={networkProblem()} />;
    if (!screen) return <p aria-busy="true">{t("app.loading")}</p>;
    return <screen.Screen />;
  };
}

export const PeList = lazy(() => import("./List").then((m) => m.PeList));
export const PeActivity = lazy(() => import("./Activity").then((m) => m.PeActivity));
export const PeSummary = lazy(() => import("./Summary").then((m) => m.PeSummary));
// Evidence read for the jobcoach (issue 14).
export const PeReading = lazy(() => import("./Reading").then((m) => m.PeReading));
export const PeReadingProposal = lazy(() => import("./Reading").then((m) => m.PeReadingProposal));
