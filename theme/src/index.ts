import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IThemeManager } from '@jupyterlab/apputils';

/**
 * Registers the "Up2U" theme: JupyterLab's light theme in Up2U's colours.
 * overrides.json (installed with the wheel) makes it the default; users can still switch.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: '@up2u/jupyterlab-theme:plugin',
  description: 'The Up2U theme for JupyterLab',
  requires: [IThemeManager],
  autoStart: true,
  activate: (app: JupyterFrontEnd, manager: IThemeManager) => {
    const style = '@up2u/jupyterlab-theme/index.css';
    manager.register({
      name: 'Up2U',
      displayName: 'Up2U',
      isLight: true,
      themeScrollbars: false,
      load: () => manager.loadCSS(style),
      unload: () => Promise.resolve(undefined)
    });
  }
};

export default plugin;
